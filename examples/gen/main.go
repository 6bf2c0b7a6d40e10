// Command gen writes edgewatt's example dataset, examples/smarthome: smart-home
// notifications labelled urgent (1) or routine (0), written for this project from the
// templates below. Every sentence is generated, so the data carries no third-party text or
// licence. Run from the repository root:
//
//	go run ./examples/gen -o examples/smarthome
//
// It writes train.csv, val.csv and test.csv (headerless label,text, RFC 4180 quoting as
// Python's csv module writes it), calib.txt (unlabelled texts for int8 calibration) and
// predict.txt (a few sentences for the demo). The output depends only on -seed.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

var slots = map[string][]string{
	"room": {"kitchen", "living room", "bedroom", "bathroom", "garage", "basement", "hallway", "attic",
		"office", "nursery", "laundry room", "guest room", "porch", "cellar", "utility room"},
	"door":   {"front door", "back door", "garage door", "patio door", "side gate", "cellar door", "balcony door"},
	"window": {"kitchen window", "bedroom window", "bathroom window", "skylight", "nursery window", "office window"},
	"person": {"Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "the cleaner", "the dog walker", "a courier"},
	"device": {"dishwasher", "washing machine", "dryer", "robot vacuum", "coffee machine", "oven", "fridge",
		"heat pump", "water heater", "air purifier", "dehumidifier", "freezer"},
	"light":  {"ceiling light", "desk lamp", "porch light", "strip lights", "reading lamp", "garden lights", "night light"},
	"sensor": {"smoke detector", "water leak sensor", "carbon monoxide alarm", "motion sensor", "door sensor", "thermostat", "gas sensor"},
	"time":   {"07:00", "07:30", "08:15", "12:00", "13:45", "17:30", "18:00", "19:20", "21:00", "22:30", "23:15", "06:45"},
	"temp":   {"18", "19", "20", "21", "22", "23"},
	"hot":    {"31", "33", "35", "38", "41"},
	"cold":   {"2", "3", "4", "5", "-1"},
	"pct":    {"5", "8", "10", "12", "15"},
	"okpct":  {"45", "60", "75", "80", "95"},
	"mins":   {"5", "10", "15", "20", "30", "45"},
	"kwh":    {"3.2", "4.8", "6.1", "7.5", "9.0", "11.4"},
	"day":    {"today", "yesterday", "this morning", "tonight", "this week"},
	"show":   {"the news", "a podcast", "jazz radio", "the morning playlist", "an audiobook"},
}

// urgent: something needs attention now (safety, security, damage, health).
var urgent = []string{
	"Smoke detected in the {room}!",
	"{sensor} in the {room} is sounding, evacuate now",
	"Water leak detected under the sink in the {room}",
	"Water detected on the {room} floor, main valve closed automatically",
	"Carbon monoxide level rising in the {room}, open the windows",
	"Gas smell reported by the gas sensor in the {room}",
	"The {door} was forced open while the alarm was armed",
	"Motion detected in the {room} while everyone is away",
	"Unknown person at the {door} trying the handle",
	"The {door} has been left open for {mins} minutes and nobody is home",
	"The {window} broke, glass break sensor triggered",
	"Freezer temperature is {hot} degrees, food may spoil",
	"The {device} is overheating, power cut off",
	"Power outage: the house is running on battery, {pct}% left",
	"Battery of the {sensor} is critically low at {pct}%, it will stop working",
	"{sensor} in the {room} went offline during an alarm",
	"Temperature in the {room} dropped to {cold} degrees, pipes may freeze",
	"Fire alarm triggered in the {room}, call emergency services",
	"Panic button pressed by {person}",
	"{person} fell in the {room} and is not responding",
	"Flood warning: water level rising in the {room}",
	"The {device} is leaking water onto the {room} floor",
	"Security camera in the {room} was covered or disabled",
	"Alarm: {door} opened at {time} with no authorised user",
	"Sump pump failed in the {room}, water is rising",
	"Heat pump fault, indoor temperature now {cold} degrees",
	"Oven left on for {mins} minutes with nobody in the kitchen",
	"The {window} is open and heavy rain is forecast in {mins} minutes",
	"Intruder alert from the motion sensor in the {room}",
	"Smoke detector in the {room} needs attention immediately",
}

// routine: status, reminders and confirmations that can wait.
var routine = []string{
	"The {device} finished its cycle",
	"Good morning, it is {temp} degrees inside",
	"The {light} in the {room} turned on at {time}",
	"The {light} turned off as scheduled",
	"{person} arrived home at {time}",
	"{person} left the house at {time}",
	"The {door} was locked at {time}",
	"The {door} closed",
	"Thermostat set to {temp} degrees for the evening",
	"Energy report: you used {kwh} kWh {day}",
	"The robot vacuum cleaned the {room}",
	"Battery of the {sensor} is at {okpct}%",
	"The {device} will start at {time} when power is cheaper",
	"Reminder: take out the recycling tonight",
	"Playing {show} in the {room}",
	"The {window} was closed",
	"Firmware update installed on the {sensor}",
	"The {device} needs a new filter next month",
	"Humidity in the {room} is {okpct}%",
	"Motion detected in the {room} while {person} is home",
	"Doorbell: a courier left a parcel at the {door}",
	"Solar panels produced {kwh} kWh {day}",
	"Scene 'movie night' activated in the {room}",
	"The {room} reached {temp} degrees",
	"Weekly summary: all sensors are online",
	"The {door} was unlocked by {person} at {time}",
	"Washing machine will finish in {mins} minutes",
	"The coffee machine is heating up",
	"Away mode turned off, welcome home {person}",
	"The {sensor} test completed successfully",
}

// predict is the demo's handful: a few plainly urgent, a few plainly routine.
var predict = []string{
	"Smoke detected in the kitchen, evacuate now",
	"Water leak detected under the sink in the bathroom",
	"The front door was forced open while the alarm was armed",
	"The dishwasher finished its cycle",
	"Good morning, it is 21 degrees inside",
	"Anna arrived home at 18:00",
}

func fill(rng *rand.Rand, tmpl string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		j := strings.IndexByte(tmpl[i:], '}') + i
		b.WriteString(tmpl[:i])
		opts := slots[tmpl[i+1:j]]
		b.WriteString(opts[rng.IntN(len(opts))])
		tmpl = tmpl[j+1:]
	}
	s := b.String()
	// capitalise the first letter, as a notification would be shown
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

type row struct {
	label int
	text  string
}

func main() {
	out := flag.String("o", "examples/smarthome", "output directory")
	seed := flag.Uint64("seed", 2026, "random seed")
	nTrain := flag.Int("train", 3000, "training rows")
	nVal := flag.Int("val", 500, "validation rows")
	nTest := flag.Int("test", 500, "test rows")
	flag.Parse()
	if err := run(*out, *seed, *nTrain, *nVal, *nTest); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string, seed uint64, nTrain, nVal, nTest int) error {
	rng := rand.New(rand.NewPCG(seed, 1))
	// Hold one urgent and one routine template out of training, so the test set checks
	// that the model generalises past memorised sentence shapes.
	heldU, heldR := urgent[len(urgent)-1], routine[len(routine)-1]
	trainU, trainR := urgent[:len(urgent)-1], routine[:len(routine)-1]
	gen := func(n int, u, r []string, held bool) []row {
		rows := make([]row, n)
		for i := range rows {
			label := rng.IntN(2)
			pool := r
			if label == 1 {
				pool = u
			}
			t := pool[rng.IntN(len(pool))]
			if held && rng.IntN(5) == 0 {
				t = heldR
				if label == 1 {
					t = heldU
				}
			}
			rows[i] = row{label, fill(rng, t)}
		}
		return rows
	}
	sets := []struct {
		name string
		rows []row
	}{
		{"train.csv", gen(nTrain, trainU, trainR, false)},
		{"val.csv", gen(nVal, trainU, trainR, false)},
		{"test.csv", gen(nTest, trainU, trainR, true)},
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, s := range sets {
		f, err := os.Create(filepath.Join(out, s.name))
		if err != nil {
			return err
		}
		w := csv.NewWriter(f)
		for _, r := range s.rows {
			w.Write([]string{fmt.Sprint(r.label), r.text})
		}
		w.Flush()
		if err := w.Error(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	calib := gen(200, urgent, routine, false)
	var cb strings.Builder
	for _, r := range calib {
		cb.WriteString(r.text + "\n")
	}
	if err := os.WriteFile(filepath.Join(out, "calib.txt"), []byte(cb.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "predict.txt"), []byte(strings.Join(predict, "\n")+"\n"), 0o644)
}
