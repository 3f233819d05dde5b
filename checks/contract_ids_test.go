package checks

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The check ids and finding ids a report carries are part of the JSON
// contract: CI jobs alert on them. Once published, an id stays: the lists in
// testdata/report-v1 only grow.
func TestContractIDsOnlyGrow(t *testing.T) {
	var checkIDs, findingIDs []string
	for _, c := range All {
		checkIDs = append(checkIDs, c.ID)
	}
	for id := range Catalog() {
		findingIDs = append(findingIDs, id)
	}
	for _, list := range []struct {
		file string
		now  []string
	}{
		{"check-ids.txt", checkIDs},
		{"finding-ids.txt", findingIDs},
	} {
		published := readIDList(t, filepath.Join("..", "testdata", "report-v1", list.file))
		if len(published) == 0 {
			t.Fatalf("%s lists no ids", list.file)
		}
		for _, id := range published {
			if !slices.Contains(list.now, id) {
				t.Errorf("%s: id %q was published in schema version 1 and is gone: ids are never removed or renamed", list.file, id)
			}
		}
		for _, id := range list.now {
			if !slices.Contains(published, id) {
				t.Errorf("%s: new id %q: append it to testdata/report-v1/%s (the list of published ids)", list.file, id, list.file)
			}
		}
	}
}

func readIDList(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ids = append(ids, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}
