//go:build !amd64

package vmath

const hasAVX2 = false

func kernel(dst, src *float32, n, mode int) { panic("vmath: no assembly kernel") }
