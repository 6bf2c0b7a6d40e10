package board

import (
	"math"

	"periph.io/x/conn/v3/physic"
)

// Integrate returns the energy under the power curve of readings by the trapezoid rule,
// in time order as given. Pairs whose time goes backwards or stands still add nothing.
// Fewer than two readings give 0.
func Integrate(readings []Reading) physic.Energy {
	var j float64 // joules
	for i := 1; i < len(readings); i++ {
		a, b := readings[i-1], readings[i]
		dt := b.Time.Sub(a.Time).Seconds()
		if dt <= 0 {
			continue
		}
		j += (watts(a.Power) + watts(b.Power)) / 2 * dt
	}
	return joules(j)
}

// Trapezoid returns the energy of one step of the trapezoid rule between a and b.
func Trapezoid(a, b Reading) physic.Energy {
	dt := b.Time.Sub(a.Time).Seconds()
	if dt <= 0 {
		return 0
	}
	return joules((watts(a.Power) + watts(b.Power)) / 2 * dt)
}

func watts(p physic.Power) float64 { return float64(p) / float64(physic.Watt) }

func joules(j float64) physic.Energy { return physic.Energy(math.Round(j * float64(physic.Joule))) }

// Watts converts a float in watts to physic.Power, rounded to the nanowatt.
func Watts(w float64) physic.Power { return physic.Power(math.Round(w * float64(physic.Watt))) }

// Watts is the power in watts.
func (r Reading) Watts() float64 { return watts(r.Power) }

// Volts is the voltage in volts (0 when unknown).
func (r Reading) Volts() float64 { return float64(r.Voltage) / float64(physic.Volt) }

// Amps is the current in amperes (0 when unknown).
func (r Reading) Amps() float64 { return float64(r.Current) / float64(physic.Ampere) }

// Joules converts an energy to joules.
func Joules(e physic.Energy) float64 { return float64(e) / float64(physic.Joule) }
