// Package energy measures the energy of one inference the way MLPerf Tiny's energy mode
// does: an idle baseline, then windows of continuous inference, the power source sampled
// on its own goroutine at its natural rate, energy by trapezoid integration, and the median
// over windows. It knows nothing of models: a Workload is a function that runs n
// inferences, so the engine serves any runtime and any test double.
//
// # Method
//
// Run first warms every workload up (for Options.Warmup, not measured) and lets the board
// rest for Options.Settle; then it measures an idle window of Options.Idle with nothing
// running, then Options.Windows rounds. Each round runs every workload in order
// (round-robin, so that a slow drift of the board spreads over all models instead of
// biasing the last one): Settle of unmeasured inference (a sensor that averages, and the
// CPU clock, catch up with the new load), then one window of Options.Window; after the
// round the board rests for Settle and another idle window is measured. There are
// Windows+1 idle windows: before the first round and after each. Per window:
//
//	E           energy over [start, end]: the trapezoid rule over the readings, the first and
//	            last pieces clipped at the window's edges by linear interpolation
//	P           E / t, the average power
//	B(t)        the idle baseline: linear in time between the middles of the usable idle
//	            windows (their average power), flat before the first and after the last
//	E_idle      the integral of B over [start, end]
//	n           inferences completed in the window
//	marginal    (E - E_idle) / n: what one inference adds to an idle board
//	total       E / n: what the board draws per inference while serving
//
// The drift, the last usable idle window's power less the first's, is reported; with a
// linear drift the interpolated baseline is exact (the tests check a 10 mW/s drift to 1%).
// Per-inference energies are float64 joules: no rounding to whole nanojoules.
//
// A counter source (a Reading with a cumulative Energy, RAPL) is integrated from counter
// differences instead, spread evenly over each sampling interval; where the counter went
// backwards (a wrap) the source's Power for that interval is used.
//
// # Windows and readings
//
// Windows are judged by the readings inside them. Options.MinReadings (default 10) is the
// fewest sampling intervals (the source's Interval: an INA's conversion time, hwmon's
// update_interval, power_supply's second, a trace's mean row spacing) a window may span:
// shorter Window or Idle lengths are lengthened to that and the notes say so. Two
// consecutive readings more than 3 intervals apart leave a hole: the time between them is
// neither covered nor integrated. A window is left out of the median (an idle window out
// of the baseline), and the report says why, when the readings cover less than 99% of it,
// when it holds fewer than half the readings its length promises, when a reading inside
// it was flagged Throttled or UnderVoltage (a replay's throttled column; on a live board
// Options.Conditions: vcgencmd, the firmware's sysfs get_throttled, rpi_volt, and a
// since-boot bit that appeared between two polls flags the time between them), when the
// CPU clock inside a load window fell under 90% of the run's highest load clock, or when
// the run was interrupted during it. Settle defaults to two sampling intervals.
//
// Each model's summary is the median over its usable windows, with the minimum and maximum
// as the spread; the notes warn when they differ by more than 10% (in a replay at the
// host's rate, blaming the host's throughput, not the board). When a model's median power
// is not above the baseline (the idle windows held load, or a replayed trace does not
// follow the schedule) no marginal figure is reported and the result is Partial.
// Sources flagged Partial, Saturated or Estimated are named in the notes.
//
// # Provenance
//
// Result.Provenance says where the numbers come from, and every output prints it: measured
// on this board; or replayed from a trace, named, with the trace's own '#' description,
// at the inference rate of this machine (Options.Host) or, when the trace has an
// inferences_per_s column, at the rate recorded in the trace. Every output also states the
// threads (Workload.Threads, Options.Threads) each model ran on.
//
// # Live and replay timelines
//
// With a live sensor, window edges are wall-clock times (time.Now) and readings carry the
// source's stamps. The sampler starts before the warm-ups and the idle window starts only
// after the first reading has come (at most Options.FirstRead), so a slow first read does
// not leave the idle window partly uncovered; after the last window the engine waits about
// one sampling interval so a reading past the end exists. Tests run the live path inside
// testing/synctest, whose virtual clock makes it deterministic.
//
// A replay (a source with a Trace method, board.Replay) is read ahead: its readings carry
// trace times, so the windows are laid on the trace's timeline, idle from t = 0 and then
// the schedule above; a trace shorter than the schedule is refused (ErrTraceTooShort). The
// inference count of a load window is measured rather than replayed unless the trace
// records it: the workload runs for min(Window, Options.ReplayRun, default 300 ms) of real
// time and its throughput is scaled to the window's length, n = count x Window / elapsed.
//
// # Failures
//
// A live source's isolated read error (an I2C glitch) is skipped and counted in the notes;
// three in a row, or the end of a replay, stop the sampling, not the run: every window
// still gets its inference count, windows the readings no longer cover are marked partial
// with their coverage, and Result.Notes says what failed and when. Run returns an error
// only for bad options and a trace too short for the schedule.
//
// # Live accounting
//
// Live serves a long-running process (edgewatt serve): it takes power readings
// (AddPower, from the sampling goroutine) and inference counts (AddInferences, from the
// prediction path: two atomic operations, no lock, no allocation) and yields, at any time,
// the figures over the recent Window (default 60 s) ending at the latest reading:
//
//	E       the trapezoid energy between the first reading at or after now - Window and
//	        the latest reading (the span)
//	n       the inferences observed over the span; inferences are attributed to the
//	        interval between readings in which AddPower saw them, so feed readings as
//	        they arrive
//	total   E / n
//	E_idle  the idle baseline integrated over the span
//	marginal (E - E_idle) / n
//
// The idle baseline is learned from quiet periods: an interval between two readings is
// quiet when no inference was observed in it and the last inference is at least Settle
// before its start (default the larger of 2 s and two source intervals: an averaging
// sensor, or a CPU clock ramping down, still shows the load for a while after it stops).
// Consecutive quiet intervals form a stretch; every IdleMin (default 10 s) of stretch
// becomes one idle sample, its trapezoid average power placed at the stretch's middle (a
// longer quiet period gives several samples, so a drift within it is followed); a stretch
// broken before IdleMin is dropped. The baseline at time t is linear between the samples'
// middles and held flat before the first sample and after the last, so a slowly drifting
// idle (the SoC warming up, a fan) is followed, and the marginal of a window between two
// quiet periods is exact for a linear drift. Until a first sample exists the marginal is
// NaN and IdleKnown false. A service that is never idle for IdleMin never learns its
// baseline; run it idle for a while at start (or use bench --energy's figure).
//
// # Uncertainty
//
// The live figures' uncertainties are one standard deviation, statistical only: they say
// how steady the window was and how well the baseline is known, not the sensor's
// calibration (a few percent for an INA219 or a PMIC, see the source's documentation).
// The window's readings are cut into up to ten blocks of equal reading count with energy
// E_b (less the baseline's energy over the block, for the marginal) and inferences N_b;
// the error of the ratio R = sum(E_b) / sum(N_b) is the ratio estimator's
//
//	sigma_R^2 = sum((E_b - R N_b)^2) / (B (B - 1) mean(N_b)^2)
//
// which grows when power and throughput fluctuate against each other. The marginal adds,
// in quadrature, the baseline's error over the span divided by n: each idle sample's
// error is the standard error of its readings' mean (sd / sqrt(readings)); between two
// samples the larger of theirs; after the last sample (where the baseline is held) that
// plus the last drift |slope| times the distance, so an extrapolated baseline carries a
// growing error. Errors of the baseline are integrated linearly over the span (one
// stretch's error is the same for every instant it covers). With fewer than two blocks
// (three readings) the errors are NaN.
//
// # CO2e
//
// Grams of CO2-equivalent per million inferences = energy per inference (J) x 1e6 / 3.6e6
// J/kWh x the grid intensity in g/kWh, reported from both the marginal and the total
// energy. DefaultGridIntensity, 475 g/kWh, is the world average that CodeCarbon uses
// (https://mlco2.github.io/codecarbon/methodology.html) and the default of
// 'edgewatt bench --grid-intensity'; the reports say so when it is in use.
//
// # Output
//
// Result.WriteTable prints the provenance, threads, idle drift and schedule, one column per
// model, then one row per window (idle windows included) with its readings against those
// expected and its coverage; WriteJSON the same with SI units in the keys, the
// provenance object and the readings (a withheld marginal is null); WriteSVG a chart of
// power over time with the provenance in its header, the windows shaded per model, the
// interpolated baseline dashed and each window's marginal µJ/inference written above it.
//
// # Recording
//
// Result.WriteTrace writes the run as a replay trace with the inferences_per_s column
// (each row: the load windows' mean rate over the interval since the previous row; 0 while
// idle or settling) and a '#' description of the source, schedule and host; replaying it
// with the same schedule reproduces the run's figures on any machine (record_test.go).
//
// # Test traces
//
// testdata/*.csv are synthetic traces laid out for the schedule without settling (idle
// 2.0 W and 3.5 W load; a throttled window; three models at 3.5/3.0/2.6 W, with and
// without a throttled window) generated from piecewise-constant definitions in
// traces_test.go (-update rewrites them); the tests check the engine against values worked
// out from those definitions, not from the files. acceptance_test.go generates its traces
// (a drifting idle, a recorded rate, 0.75 mW above idle) and fake live sources (1 Hz, a
// 30 ms first read, a sensor averaging over 1 s, a Pi without vcgencmd) in code.
package energy
