module github.com/edgewatt/edgewatt

go 1.26.8

require (
	github.com/nlpodyssey/gopickle v0.2.0
	github.com/x448/float16 v0.8.4
	golang.org/x/sys v0.50.0
	periph.io/x/conn/v3 v3.7.3
	periph.io/x/devices/v3 v3.7.4
	periph.io/x/host/v3 v3.8.5
)

require golang.org/x/mod v0.43.0
