package serve

import "time"

// newMeter returns the live energy meter. Until internal/energy's Live is available this is
// a stand-in that knows only the last power reading (no joules, no per-inference figures).
func newMeter(o EnergyOptions) meter { return &lastWatts{} }

type lastWatts struct{ w float64 }

func (m *lastWatts) AddPower(at time.Time, watts float64) { m.w = watts }
func (m *lastWatts) AddInferences(at time.Time, n int)    {}
func (m *lastWatts) snapshot(now time.Time) meterSnapshot { return meterSnapshot{Watts: m.w} }
