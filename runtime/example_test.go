package runtime_test

import (
	"fmt"
	"log"
	"sync"

	edgewatt "github.com/edgewatt/edgewatt/runtime"
)

// testdata/smarthome-int8.safetensors is the int8 model of the smart-home example
// (examples/smarthome: train --vocab 300 --maxlen 20, convert --quant int8 --padding post
// --truncating post --labels routine,urgent).
const exampleModel = "testdata/smarthome-int8.safetensors"

// Load a model, make a predictor, classify a text.
func Example() {
	m, err := edgewatt.Load(exampleModel)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	p := m.NewPredictor() // one per goroutine
	r := p.PredictText("Smoke detected in the kitchen, evacuate now")
	fmt.Printf("%s %.2f\n", m.Labels()[r.Label], r.Scores[0])
	// r.Scores is overwritten by p's next call: keep a copy with Clone (or AppendScores).
	kept := r.Clone()
	p.PredictText("The dishwasher finished its cycle")
	fmt.Printf("%s %.2f\n", m.Labels()[kept.Label], kept.Scores[0])
	// Output:
	// urgent 1.00
	// urgent 1.00
}

// Classify many texts with one call; the results own their scores, and reusing dst makes
// later calls allocation-free.
func ExamplePredictor_PredictTexts() {
	m, err := edgewatt.Load(exampleModel)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	p := m.NewPredictor()
	var results []edgewatt.Result
	results = p.PredictTexts(results[:0], []string{
		"Water leak detected under the sink in the bathroom",
		"Good morning, it is 21 degrees inside",
	})
	for _, r := range results {
		fmt.Printf("%s %.2f\n", m.Labels()[r.Label], r.Scores[0])
	}
	// Output:
	// urgent 1.00
	// routine 0.00
}

// The server pattern: the model is shared (immutable, safe for concurrent use), each request
// borrows a predictor from the model's pool and returns it when done with the scores.
func ExamplePredictorPool() {
	m, err := edgewatt.Load(exampleModel)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	pool := m.NewPredictorPool()

	// handle is what an HTTP handler or an MQTT callback would run, on many goroutines.
	handle := func(text string) string {
		p := pool.Get()
		defer pool.Put(p)
		r := p.PredictText(text)
		return fmt.Sprintf("%s %.2f", m.Labels()[r.Label], r.Scores[0]) // done with r before Put
	}

	texts := []string{"The front door was forced open while the alarm was armed", "The dishwasher finished its cycle"}
	replies := make([]string, len(texts))
	var wg sync.WaitGroup
	for i, text := range texts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = handle(text)
		}()
	}
	wg.Wait()
	for _, r := range replies {
		fmt.Println(r)
	}
	// Output:
	// urgent 1.00
	// routine 0.00
}
