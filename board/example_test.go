package board_test

import (
	"fmt"
	"log"
	"testing/fstest"

	"github.com/edgewatt/edgewatt/board"
)

// Read the board's power. On a board, Open("auto", board.OpenOptions{}) finds the sensor (an
// INA219/INA226/INA260 on I2C, the Pi 5 PMIC, hwmon, power_supply or RAPL). Here the sysfs
// tree of a Pi with an INA219 under the kernel's ina2xx driver is given in memory: sources
// read sysfs through an fs.FS, so the same code runs without the hardware.
func Example() {
	sys := fstest.MapFS{
		"sys/class/hwmon/hwmon1/name":         {Data: []byte("ina219\n")},
		"sys/class/hwmon/hwmon1/in1_input":    {Data: []byte("5072\n")},    // bus voltage, mV
		"sys/class/hwmon/hwmon1/curr1_input":  {Data: []byte("981\n")},     // mA
		"sys/class/hwmon/hwmon1/power1_input": {Data: []byte("4980000\n")}, // µW
	}
	src, err := board.Open("hwmon", board.OpenOptions{FS: sys})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	r, err := src.Read()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(src.Name(), r.Power, r.Voltage, r.Current, r.Flags)
	// Output:
	// hwmon:ina219 4.980W 5.072V 981mA ok
}
