package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/galenhealth/galen/text"
)

func main() {
	c, err := text.Builtin()
	if path := os.Getenv("ART"); path != "" {
		b, _ := os.ReadFile(path)
		c, err = text.Parse(b)
	}
	if err != nil {
		panic(err)
	}
	note := os.Args[1]
	r := c.Classify(note, 3, 6)
	for _, l := range r.Top {
		fmt.Printf("%s %.3f\n", l.Label, l.Prob)
	}
	fmt.Println("uncertain", r.Uncertain, "threshold", c.Threshold, "T", c.Temperature)
	for _, e := range r.Explanation {
		var spans []string
		for _, s := range e.Spans {
			spans = append(spans, fmt.Sprintf("%q@%d-%d", note[s.Start:s.End], s.Start, s.End))
		}
		fmt.Printf("  %-20s %+.3f %v\n", e.Term, e.Weight, spans)
	}
	for _, f := range r.Analysis.Negated {
		fmt.Printf("  NEG %q by %q @%d-%d\n", f.Text, f.Trigger, f.Start, f.End)
	}
	b, _ := json.Marshal(c.Meta)
	fmt.Println(string(b))
}
