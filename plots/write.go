package plots

import (
	"fmt"

	"github.com/fulcrum-lb/fulcrum/internal/atomicfile"
	"github.com/fulcrum-lb/fulcrum/report"
)

// WriteAll draws every chart of s (see Render) into dir, which must exist,
// each as Name.png and Name.svg, and returns the names of the files
// written, in order.
//
// Every file is written atomically: its bytes go to a temporary file in
// dir, which is synced and renamed over the final name. All charts are
// drawn and staged before the first rename, so an error leaves none of
// them behind.
func WriteAll(dir string, s *report.Summary) ([]string, error) {
	charts, err := Render(s, nil)
	if err != nil {
		return nil, err
	}
	var files []atomicfile.File
	for _, c := range charts {
		files = append(files, chartFiles(c)...)
	}
	return writeFiles(dir, files)
}

// WriteReport draws every chart of s as WriteAll does and writes them with
// report.html, which shows them beside the tables, into dir. other, if not
// nil, is the same scenario on the other engine: the page then sets the two
// side by side and overlays their CDFs. It returns the names of the files
// written; like WriteAll, it writes all of them or none.
func WriteReport(dir string, s, other *report.Summary) ([]string, error) {
	charts, err := Render(s, other)
	if err != nil {
		return nil, err
	}
	var files []atomicfile.File
	figs := make([]report.Figure, len(charts))
	for i, c := range charts {
		files = append(files, chartFiles(c)...)
		figs[i] = c.Figure()
	}
	page, err := report.EncodeHTML(s, other, figs)
	if err != nil {
		return nil, err
	}
	files = append(files, atomicfile.File{Name: report.ReportHTML, Data: page})
	return writeFiles(dir, files)
}

func chartFiles(c Chart) []atomicfile.File {
	return []atomicfile.File{{Name: c.Name + ".png", Data: c.PNG}, {Name: c.Name + ".svg", Data: c.SVG}}
}

// writeFiles writes files into dir with atomicfile.WriteAll, all or none,
// and returns their names.
func writeFiles(dir string, files []atomicfile.File) ([]string, error) {
	if err := atomicfile.WriteAll(dir, files); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	return names, nil
}
