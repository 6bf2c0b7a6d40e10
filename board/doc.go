// Package board knows the board edgewatt runs on and reads its power.
//
// # Board detection
//
// Detect describes the machine: the Raspberry Pi model from /proc/device-tree/model and
// the decoded /proc/cpuinfo revision code (type, revision, memory, manufacturer,
// processor; see DecodeRevision), SoC, core type and count, architecture and the CPU
// features edgewatt's kernels care about (NEON/ASIMD, the asimddp dot product, fp16
// arithmetic), memory (/proc/meminfo), OS (/etc/os-release), kernel, cpu0's frequency and
// governor (cpufreq), temperature (/sys/class/thermal) and throttling (`vcgencmd
// get_throttled`, decoded by Throttle: bits 0-3 now, 16-19 since boot). Every reader takes
// an fs.FS rooted at "/" and a command Runner, so tests use the trees under
// testdata/sys and the outputs under testdata/vcgencmd. On the real machine Detect also
// reports what golang.org/x/sys/cpu sees and periph's rpi.Present(). A machine that is not
// a Pi is described as what it is, without errors; what is missing is listed in Notes.
//
// # Conditions during a measurement
//
// ConditionsProbe reads, each time it is asked, the temperature and the throttle and
// under-voltage bits from every source the board has: `vcgencmd get_throttled`; where
// vcgencmd is missing or fails (Ubuntu on a Pi), the Raspberry Pi firmware driver's sysfs
// attribute get_throttled (the same bits in hex, under /sys/devices/platform/soc/
// soc:firmware on a Pi 4); the rpi_volt hwmon device's in0_lcrit_alarm (under-voltage);
// and cpu0's current and maximum clock (a clock under load below the run's highest is a
// cap). Conditions.ThrottleFrom names what was read, "" when nothing could be, so that
// callers warn instead of reporting "not throttled".
//
// # Power sources and units
//
// A Source returns Readings in periph.io/x/conn/v3/physic units (physic.Power in nW,
// physic.ElectricPotential in nV, physic.ElectricCurrent in nA, physic.Energy in nJ), each
// stamped with its time and Quality flags (Estimated, Saturated, Stale, Partial,
// Throttled, UnderVoltage, Wrapped, First). Open parses a spec (SpecHelp); physic values
// parse as in flags (shunt=100mΩ, max=3.2A):
//
//   - ina219[:bus=1,addr=0x40,shunt=100mΩ,max=3.2A]: periph's devices/v3/ina219 driver
//     (Current_LSB = max/2^15, CAL = trunc(0.04096/(Current_LSB x Rshunt)), power LSB 20 x
//     Current_LSB; TI SBOS448). The bus register's OVF bit gives Saturated, CNVR Stale.
//   - ina226[:bus=1,addr=0x40,shunt=100mΩ,max=...]: board/ina226 (shunt LSB 2.5 µV, bus
//     1.25 mV, CAL = trunc(0.00512/(Current_LSB x Rshunt)), power LSB 25 x Current_LSB;
//     TI SBOS547). ina260[:bus=1,addr=0x40]: board/ina260 (1.25 mA, 1.25 mV, 10 mW; TI
//     SBOS656). Both check the manufacturer (5449h) and die ids (2260h, 2270h).
//   - pmic[:community|a=..,b=..]: the Raspberry Pi 5 PMIC through `vcgencmd
//     pmic_read_adc`, the sum of V x I over its rails. The PMIC does not see the 5 V
//     loads (USB devices, HATs, the fan) nor its own conversion losses, so readings are
//     Partial|Estimated. A linear correction P = a x PMIC + b may be given; the community
//     calibration against a USB meter is real ≈ 1.1451 x PMIC + 0.5879 W
//     (pmic:community). Calibrate your own board with a meter on the 5 V input.
//   - hwmon[:name]: power*_input/power*_average (µW), else in{k}_input (mV) x
//     curr{k}_input (mA), e.g. an INA2xx bound to the kernel's ina2xx driver; Interval is
//     the device's update_interval (ms) when it has one, else 100 ms.
//   - powersupply[:name]: power_now (µW), else voltage_now (µV) x current_now (µA); a
//     battery that is not discharging is Partial.
//   - rapl[:zone]: powercap energy_uj counters (psys if present, else the sum of the
//     package zones); wraparound at max_energy_range_uj is handled, Energy is the
//     unwrapped total since Open and Power the mean since the previous Read.
//   - replay:FILE.csv: a recorded trace "time_s,watts[,temp_c,throttled[,inferences_per_s]]"
//     (Trace, Replay), read at once on the trace's virtual clock, or paced in real time. An
//     optional header must name those columns (a first row with a typo is an error, not a
//     header); '#' lines before the first row are the trace's Description, which reports
//     quote; the rate column is the mean rate since the previous row. Only a regular file
//     of at most 256 MiB and 4 million rows is read (replay:/dev/zero is refused).
//
// "auto" tries an INA2xx on /dev/i2c-1 (probing 0x40-0x4F by their id registers), the
// Pi 5 PMIC, hwmon, power_supply and RAPL, and otherwise returns a *NoSourceError
// (errors.Is ErrNoSource) listing what it tried and why each failed.
//
// # Errors
//
// Open and Read fail with *SourceError: the source, the operation, the cause kept for
// errors.Is/As (fs.ErrPermission, fs.ErrNotExist, the bus's own error, exec.ErrNotFound)
// and a Hint that says how to fix it (the i2c or video group, enabling I2C, wiring).
// Drivers take an i2c.Bus and never open one; tests replay recorded register traffic
// with periph's i2ctest.Playback. Integrate and Trapezoid turn readings into energy.
package board
