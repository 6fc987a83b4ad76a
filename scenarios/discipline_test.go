package scenarios

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// srvHead is a valid scenario but for its server group, whose keys cases
// append from line 5.
const srvHead = `name: t
arrivals: {load: 0.5}
algorithms: [round-robin]
servers:
  - name: web
    service: {dist: exponential, mean: 10ms}
`

// disciplineErrorCases are the misuses of servers[].discipline and the exact
// messages Parse gives for them.
var disciplineErrorCases = []struct {
	name, in, want string
}{
	{"unknown discipline", srvHead + "    discipline: lifo\n",
		`x.yaml:7: servers[0].discipline: "lifo" is not a discipline: fifo or ps`},
	{"discipline in capitals", srvHead + "    discipline: PS\n",
		`x.yaml:7: servers[0].discipline: "PS" is not a discipline: fifo or ps`},
	{"empty discipline", srvHead + "    discipline: \"\"\n",
		`x.yaml:7: servers[0].discipline: "" is not a discipline: fifo or ps`},
	{"discipline not text", srvHead + "    discipline: [ps]\n",
		`x.yaml:7: servers[0].discipline: expected a string, got a list`},
	{"second group", srvHead + "  - {name: db, discipline: sjf, service: {dist: constant, value: 1ms}}\n",
		`x.yaml:7: servers[1].discipline: "sjf" is not a discipline: fifo or ps`},
}

func init() { errorCases = append(errorCases, disciplineErrorCases...) }

func TestDiscipline(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // by server
	}{
		{"default", srvHead, []string{""}},
		{"fifo", srvHead + "    discipline: fifo\n", []string{"fifo"}},
		{"ps", srvHead + "    discipline: ps\n    count: 2\n", []string{"ps", "ps"}},
		{"mixed", srvHead + "  - {name: db, discipline: ps, service: {dist: constant, value: 1ms}}\n", []string{"", "ps"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("x.yaml", []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, sv := range s.ServerList() {
				got = append(got, sv.Discipline)
				if sv.PS() != (sv.Discipline == DisciplinePS) {
					t.Errorf("%s: PS() = %v for %q", sv.Name, sv.PS(), sv.Discipline)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("disciplines %v, want %v", got, tc.want)
			}
			// The resolved form names the discipline where the file does,
			// so that files without the key resolve as they did before it.
			data, err := json.Marshal(s.Resolved())
			if err != nil {
				t.Fatal(err)
			}
			given := slices.ContainsFunc(tc.want, func(d string) bool { return d != "" })
			if has := strings.Contains(string(data), `"discipline"`); has != given {
				t.Errorf("resolved %s: discipline written = %v, want %v", data, has, given)
			}
			back, err := Parse("y.json", data)
			if err != nil {
				t.Fatalf("resolved form does not load back: %v", err)
			}
			for i, sv := range back.ServerList() {
				if sv.Discipline != tc.want[i] {
					t.Errorf("loaded back: %s is %s, want %s", sv.Name, sv.Discipline, tc.want[i])
				}
			}
		})
	}
}

// An override cannot set the discipline: it is text, and overrides set
// numbers.
func TestDisciplineNotOverridable(t *testing.T) {
	s, err := Parse("x.yaml", []byte(srvHead+"    discipline: ps\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.With("servers[0].discipline", "1")
	if err == nil || !strings.Contains(err.Error(), "servers[0].discipline: not a number but text") {
		t.Errorf("With(discipline): %v", err)
	}
}
