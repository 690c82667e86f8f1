package report

import (
	"bytes"
	"strings"
	"testing"
)

// A report without differences says so with an empty list, not null.
func TestWriteJSONEmptyLists(t *testing.T) {
	var b bytes.Buffer
	if err := (&Report{}).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"differences": []`, `"uncovered": []`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %s in\n%s", want, b.String())
		}
	}
}
