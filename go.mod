module github.com/galenhealth/galen

go 1.26
