package energy

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
)

// palette is Okabe and Ito's colour-blind-safe set, one colour per model.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"}

// chart geometry, in SVG user units (pixels)
const (
	chartW, chartH             = 1100.0, 560.0
	plotL, plotR, plotT, plotB = 70.0, 860.0, 82.0, 500.0
)

// WriteSVG draws power over time: the idle window and each load window shaded (one colour
// per model), the power readings as a line, the idle power dashed, each window labelled
// with its marginal µJ per inference, throttled and partial windows hatched, axes with
// units, a legend and a title. Elements carry classes (window, value, power, axis) so
// that tests and stylesheets can find them.
func (res *Result) WriteSVG(w io.Writer) error {
	var b bytes.Buffer
	end := res.Idle.End
	for _, win := range res.timeline() {
		end = max(end, win.End)
	}
	xMax := end.Seconds()
	if xMax <= 0 {
		xMax = 1
	}
	yTop := 0.0
	for _, s := range res.Samples {
		yTop = math.Max(yTop, watts(s.Power))
	}
	for _, win := range res.Windows {
		yTop = math.Max(yTop, watts(win.Power))
	}
	if yTop == 0 {
		yTop = 1
	}
	yStep := niceStep(yTop*1.3, 6)
	yMax := math.Ceil(yTop*1.3/yStep) * yStep
	x := func(sec float64) float64 { return plotL + (plotR-plotL)*sec/xMax }
	y := func(w float64) float64 { return plotB - (plotB-plotT)*w/yMax }
	colour := map[string]string{}
	var names []string
	for i, m := range res.Models {
		colour[m.Model] = palette[i%len(palette)]
		names = append(names, m.Model)
	}
	short := shortNames(names)
	noMarginal := map[string]bool{}
	for _, m := range res.Models {
		noMarginal[m.Model] = m.NoMarginal != ""
	}

	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
<defs>
<pattern id="hatch-throttled" patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="8" stroke="#C00000" stroke-width="2" stroke-opacity="0.45"/></pattern>
<pattern id="hatch-partial" patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(-45)"><line x1="0" y1="0" x2="0" y2="8" stroke="#555" stroke-width="1.5" stroke-opacity="0.45"/></pattern>
</defs>
<rect width="100%%" height="100%%" fill="white"/>
`, chartW, chartH, chartW, chartH)
	title := "Energy per inference: power over time, idle and load windows"
	if res.Partial {
		title += " (PARTIAL RESULTS)"
	}
	fmt.Fprintf(&b, `<text class="title" x="%g" y="22" font-size="18" font-weight="bold">%s</text>`+"\n", plotL, esc(title))
	threads := res.Threads
	if len(res.Models) > 0 {
		threads = res.Models[0].Threads
	}
	sub := fmt.Sprintf("source %s · idle %.3f → %.3f W · %d x %s windows per model, round-robin · %d thread(s) · label: marginal µJ/inference = (E − E_idle)/n",
		res.Source, watts(res.IdlePower), watts(res.IdleEndPower), res.Rounds, fmtDur(res.WindowLen), threads)
	fmt.Fprintf(&b, `<text class="subtitle" x="%g" y="42" fill="#444" font-size="11">%s</text>`+"\n", plotL, esc(clipText(sub, 165)))
	prov, provFill := res.Provenance.String(), "#006400"
	line1, line2, _ := strings.Cut(prov, ": ")
	if res.Provenance.Replay {
		provFill = "#B00000"
		if d := res.Provenance.TraceDescription; d != "" {
			line2 += " · trace: " + strings.SplitN(d, "\n", 2)[0]
		}
	}
	fmt.Fprintf(&b, `<text class="provenance" x="%g" y="57" fill="%s" font-size="11" font-weight="bold">%s</text>`+"\n", plotL, provFill, esc(clipText(line1, 160)))
	if line2 != "" {
		fmt.Fprintf(&b, `<text class="provenance" x="%g" y="71" fill="%s" font-size="10">%s</text>`+"\n", plotL, provFill, esc(clipText(line2, 190)))
	}

	// Grid and axes.
	b.WriteString(`<g class="axis" stroke="#e4e4e4">` + "\n")
	for v := 0.0; v <= yMax+yStep/2; v += yStep {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", plotL, y(v), plotR, y(v))
	}
	b.WriteString("</g>\n")

	// Windows.
	shade := func(win *Window, fill, class string) {
		x0, x1 := x(win.Start.Seconds()), x(win.End.Seconds())
		fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.2"/>`+"\n",
			class, x0, plotT, x1-x0, plotB-plotT, fill)
		switch {
		case win.Partial:
			fmt.Fprintf(&b, `<rect class="partial" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="url(#hatch-partial)"/>`+"\n", x0, plotT, x1-x0, plotB-plotT)
		case win.Throttled:
			fmt.Fprintf(&b, `<rect class="throttled" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="url(#hatch-throttled)"/>`+"\n", x0, plotT, x1-x0, plotB-plotT)
		}
	}
	for i := range res.Idles {
		shade(&res.Idles[i], "#808080", "window idle")
	}
	for i := range res.Windows {
		shade(&res.Windows[i], colour[res.Windows[i].Model], "window load")
	}
	// Boundaries between windows.
	b.WriteString(`<g stroke="white" stroke-width="1.5">` + "\n")
	for _, win := range res.Windows {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", x(win.Start.Seconds()), plotT, x(win.Start.Seconds()), plotB)
	}
	b.WriteString("</g>\n")

	// Each window's average power, as a short bar in its colour.
	for _, win := range res.Windows {
		if win.Coverage == 0 {
			continue
		}
		fmt.Fprintf(&b, `<line class="window-power" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="3"/>`+"\n",
			x(win.Start.Seconds())+2, y(watts(win.Power)), x(win.End.Seconds())-2, y(watts(win.Power)), colour[win.Model])
	}
	// The idle baseline, dashed: through the usable idle windows, flat beyond them.
	var pts []string
	for _, iw := range res.Idles {
		if iw.Excluded == "" {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x((iw.Start+iw.End).Seconds()/2), y(watts(iw.Power))))
		}
	}
	if len(pts) > 0 {
		first, last := pts[0], pts[len(pts)-1]
		_, fy, _ := strings.Cut(first, ",")
		_, ly, _ := strings.Cut(last, ",")
		pts = append([]string{fmt.Sprintf("%.1f,%s", plotL, fy)}, pts...)
		pts = append(pts, fmt.Sprintf("%.1f,%s", plotR, ly))
		fmt.Fprintf(&b, `<polyline class="idle-power" fill="none" points="%s" stroke="#555" stroke-width="1.2" stroke-dasharray="6 4"/>`+"\n", strings.Join(pts, " "))
	}
	// The readings.
	fmt.Fprintf(&b, `<polyline class="power" fill="none" stroke="#222" stroke-width="1.3" stroke-linejoin="round" points="%s"/>`+"\n",
		res.points(x, y, xMax))

	// Labels: the value of each window in the band above the curves.
	labelY := plotT + 18
	for _, iw := range res.Idles {
		val := "idle"
		if iw.Excluded != "" {
			val = "(idle)"
		}
		fmt.Fprintf(&b, `<text class="label idle" x="%.1f" y="%.1f" text-anchor="middle" font-weight="bold" fill="#444">%s</text>`+"\n",
			x((iw.Start+iw.End).Seconds()/2), labelY, val)
		if iw.Coverage > 0 {
			fmt.Fprintf(&b, `<text class="label idle" x="%.1f" y="%.1f" text-anchor="middle" fill="#444" font-size="10">%.2f W</text>`+"\n",
				x((iw.Start+iw.End).Seconds()/2), labelY+15, watts(iw.Power))
		}
	}
	for _, win := range res.Windows {
		cx := x((win.Start + win.End).Seconds() / 2)
		width := x(win.End.Seconds()) - x(win.Start.Seconds())
		val := "no data"
		if win.Coverage > 0 {
			val = fmtG(win.MarginalJ*1e6) + " µJ"
			if noMarginal[win.Model] {
				val = "n/a"
			}
		}
		fill := darker(colour[win.Model])
		if win.Excluded != "" {
			val = "(" + val + ")"
			fill = "#777"
		}
		rot := ""
		if width < 62 {
			rot = fmt.Sprintf(` transform="rotate(-90 %.1f %.1f)" text-anchor="end"`, cx+4, labelY-8)
			fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%.1f"%s font-weight="bold" fill="%s" stroke="white" stroke-width="3" paint-order="stroke">%s</text>`+"\n",
				cx+4, labelY-8, rot, fill, esc(val))
		} else {
			fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%.1f" text-anchor="middle" font-weight="bold" fill="%s" stroke="white" stroke-width="3" paint-order="stroke">%s</text>`+"\n",
				cx, labelY, fill, esc(val))
			fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%.1f" text-anchor="middle" fill="#444" font-size="11">%s #%d</text>`+"\n",
				cx, labelY+15, esc(clipName(short[win.Model], width)), win.Index)
		}
		if win.Excluded != "" {
			why := "throttled"
			if win.Partial {
				why = "partial"
			}
			if win.Coverage == 0 {
				why = "no data"
			}
			fmt.Fprintf(&b, `<text class="excluded" x="%.1f" y="%.1f" text-anchor="middle" fill="#C00000" font-size="11" stroke="white" stroke-width="3" paint-order="stroke">%s</text>`+"\n",
				cx, plotB-8, why)
		}
	}

	// Axes, ticks, units.
	fmt.Fprintf(&b, `<g class="axis" stroke="#222"><line x1="%g" y1="%g" x2="%g" y2="%g"/><line x1="%g" y1="%g" x2="%g" y2="%g"/></g>`+"\n",
		plotL, plotB, plotR, plotB, plotL, plotT, plotL, plotB)
	b.WriteString(`<g class="ticks" fill="#222" font-size="11">` + "\n")
	for v := 0.0; v <= yMax+yStep/2; v += yStep {
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end">%s</text><line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#222"/>`+"\n",
			plotL-8, y(v)+4, trimFloat(v), plotL-4, y(v), plotL, y(v))
	}
	xStep := niceStep(xMax, 10)
	for v := 0.0; v <= xMax+xStep/1e6; v += xStep {
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%s</text><line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#222"/>`+"\n",
			x(v), plotB+18, trimFloat(v), x(v), plotB, x(v), plotB+4)
	}
	b.WriteString("</g>\n")
	fmt.Fprintf(&b, `<text class="axis-label" x="%g" y="%g" text-anchor="middle">time (s)</text>`+"\n", (plotL+plotR)/2, plotB+42)
	fmt.Fprintf(&b, `<text class="axis-label" x="%g" y="%g" text-anchor="middle" transform="rotate(-90 %g %g)">power (W)</text>`+"\n",
		22.0, (plotT+plotB)/2, 22.0, (plotT+plotB)/2)

	// Legend.
	lx, ly := plotR+22, plotT+4
	b.WriteString(`<g class="legend">` + "\n")
	item := func(swatch, text string) {
		fmt.Fprintf(&b, `<g transform="translate(%g %g)">%s</g>`+"\n", lx, ly-10, swatch)
		fmt.Fprintf(&b, `<text x="%g" y="%g">%s</text>`+"\n", lx+26, ly, esc(text))
		ly += 22
	}
	box := func(c string) string {
		return fmt.Sprintf(`<rect width="18" height="13" fill="%s" fill-opacity="0.35" stroke="%s"/>`, c, c)
	}
	item(box("#808080"), "idle window")
	for _, m := range res.Models {
		txt := clipName(m.Model, 200)
		if m.Used > 0 && m.NoMarginal == "" {
			txt += fmt.Sprintf(": %s µJ", fmtG(m.MarginalUJ.Median))
		}
		item(box(colour[m.Model]), txt)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" fill="#444" font-size="11">(median marginal µJ/inference)</text>`+"\n", lx, ly)
	ly += 24
	item(`<line x1="0" y1="6" x2="18" y2="6" stroke="#222" stroke-width="1.5"/>`, "power readings")
	item(`<line x1="0" y1="6" x2="18" y2="6" stroke="#555" stroke-dasharray="6 4" stroke-width="1.2"/>`, "idle baseline")
	item(`<line x1="0" y1="6" x2="18" y2="6" stroke="#555" stroke-width="3"/>`, "window average")
	item(`<rect width="18" height="13" fill="url(#hatch-throttled)" stroke="#C00000"/>`, "throttled: excluded")
	item(`<rect width="18" height="13" fill="url(#hatch-partial)" stroke="#555"/>`, "partial: excluded")
	b.WriteString("</g>\n")
	fmt.Fprintf(&b, `<text class="footnote" x="%g" y="%g" fill="#444" font-size="11">%s</text>`+"\n", plotL, chartH-10,
		esc(fmt.Sprintf("CO2e in the table at %g g/kWh%s", res.GridIntensity, gridNote(res.GridIntensity))))
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func gridNote(g float64) string {
	if g == DefaultGridIntensity {
		return " (CodeCarbon's world average)"
	}
	return ""
}

// points renders the readings as polyline points, keeping the minimum and maximum of
// each pixel column when there are more readings than pixels.
func (res *Result) points(x, y func(float64) float64, xMax float64) string {
	var sb strings.Builder
	add := func(t, w float64) {
		if t < 0 || t > xMax {
			return
		}
		fmt.Fprintf(&sb, "%.1f,%.1f ", x(t), y(w))
	}
	if len(res.Samples) <= int(2*(plotR-plotL)) {
		for _, s := range res.Samples {
			add(s.T.Seconds(), watts(s.Power))
		}
		return strings.TrimSpace(sb.String())
	}
	col := -1
	var lo, hi, tlo, thi float64
	flush := func() {
		if col < 0 {
			return
		}
		if tlo <= thi {
			add(tlo, lo)
			add(thi, hi)
		} else {
			add(thi, hi)
			add(tlo, lo)
		}
	}
	for _, s := range res.Samples {
		t, p := s.T.Seconds(), watts(s.Power)
		c := int(x(t))
		if c != col {
			flush()
			col, lo, hi, tlo, thi = c, p, p, t, t
			continue
		}
		if p < lo {
			lo, tlo = p, t
		}
		if p > hi {
			hi, thi = p, t
		}
	}
	flush()
	return strings.TrimSpace(sb.String())
}

// niceStep returns a 1, 2 or 5 x 10^k step that divides span into at most n parts.
func niceStep(span float64, n int) float64 {
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// darker returns a colour for text on a light tint of c.
func darker(c string) string {
	var r, g, b int
	if _, err := fmt.Sscanf(c, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return "#222"
	}
	return fmt.Sprintf("#%02x%02x%02x", r*6/10, g*6/10, b*6/10)
}

// clipName shortens a model name to fit width pixels at about 6.5 px a character.
func clipName(s string, width float64) string {
	n := int((width - 24) / 6.5)
	if r := []rune(s); len(r) > n && n > 1 {
		return string(r[:n-1]) + "…"
	}
	return s
}

// shortNames maps each name to itself without the prefix all share, cut at a separator
// (sarcasm-f32, sarcasm-int8 -> f32, int8), so that window labels keep what differs.
func shortNames(names []string) map[string]string {
	out := map[string]string{}
	cut := 0
	if len(names) > 1 {
		p := names[0]
		for _, n := range names[1:] {
			for !strings.HasPrefix(n, p) {
				p = p[:len(p)-1]
			}
		}
		cut = strings.LastIndexAny(p, "-_./ ") + 1
	}
	for _, n := range names {
		out[n] = n
		if cut > 0 && len(n) > cut {
			out[n] = n[cut:]
		}
	}
	return out
}

// clipText shortens s to n runes.
func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
