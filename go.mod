module github.com/edgewatt/edgewatt

go 1.26.8

require (
	github.com/nlpodyssey/gopickle v0.2.0 // indirect
	github.com/scigolib/hdf5 v0.14.1 // indirect
	github.com/x448/float16 v0.8.4 // indirect
	golang.org/x/sys v0.50.0 // indirect
	periph.io/x/conn/v3 v3.7.3 // indirect
	periph.io/x/devices/v3 v3.7.4 // indirect
	periph.io/x/host/v3 v3.8.5 // indirect
)

replace github.com/scigolib/hdf5 => ./internal/third_party/hdf5
