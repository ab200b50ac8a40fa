package vmath

import "golang.org/x/sys/cpu"

var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel applies mode's function to n (a multiple of 8) values.
//
//go:noescape
func kernel(dst, src *float32, n, mode int)
