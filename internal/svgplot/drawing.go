package svgplot

// El is one element of an inline SVG drawing, with its geometry already
// formatted. DrawingTemplate writes it as <rect>, <line>, <circle>,
// <path> or <text>; every string goes through html/template's escaping.
type El struct {
	Kind           string // rect, line, circle, path, text
	X, Y, W, H     string // rect; text (X, Y)
	X1, Y1, X2, Y2 string // line
	CX, CY, R      string // circle
	D              string // path
	Text, Anchor   string // text
	Class          string
	Title          string // tooltip
	// Data is a data-kind attribute, which tests count marks by.
	Data string
}

// Drawing is one inline SVG: a viewBox of W×H and its elements in drawing
// order.
type Drawing struct {
	W, H  string
	Label string // aria-label
	Els   []El
}

// Rect is a <rect>.
func Rect(x, y, w, h float64, class, title, data string) El {
	return El{Kind: "rect", X: Num(x), Y: Num(y), W: Num(max(w, 0)), H: Num(max(h, 0)), Class: class, Title: title, Data: data}
}

// Line is a <line>.
func Line(x1, y1, x2, y2 float64, class, title string) El {
	return El{Kind: "line", X1: Num(x1), Y1: Num(y1), X2: Num(x2), Y2: Num(y2), Class: class, Title: title}
}

// Text is a <text> anchored start, middle or end.
func Text(x, y float64, s, anchor, class string) El {
	return El{Kind: "text", X: Num(x), Y: Num(y), Text: s, Anchor: anchor, Class: class}
}

// Circle is a <circle>.
func Circle(cx, cy, r float64, class, title, data string) El {
	return El{Kind: "circle", CX: Num(cx), CY: Num(cy), R: Num(r), Class: class, Title: title, Data: data}
}

// Path is a <path> of path data d (built from Num-formatted numbers).
func Path(d, class, title, data string) El {
	return El{Kind: "path", D: d, Class: class, Title: title, Data: data}
}

// DrawingTemplate defines the html/template "svg", which renders a
// Drawing as inline SVG (no namespace URL: HTML needs none). Parse it into
// a page's template and call {{template "svg" .}}.
const DrawingTemplate = `{{define "svg"}}<svg class="chart" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="{{.Label}}" preserveAspectRatio="xMinYMin meet">
<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>
{{range .Els}}{{if eq .Kind "rect"}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"{{with .Class}} class="{{.}}"{{end}}{{with .Data}} data-kind="{{.}}"{{end}}>{{with .Title}}<title>{{.}}</title>{{end}}</rect>
{{else if eq .Kind "line"}}<line x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}"{{with .Class}} class="{{.}}"{{end}}{{with .Data}} data-kind="{{.}}"{{end}}>{{with .Title}}<title>{{.}}</title>{{end}}</line>
{{else if eq .Kind "circle"}}<circle cx="{{.CX}}" cy="{{.CY}}" r="{{.R}}"{{with .Class}} class="{{.}}"{{end}}{{with .Data}} data-kind="{{.}}"{{end}}>{{with .Title}}<title>{{.}}</title>{{end}}</circle>
{{else if eq .Kind "path"}}<path d="{{.D}}"{{with .Class}} class="{{.}}"{{end}}{{with .Data}} data-kind="{{.}}"{{end}}>{{with .Title}}<title>{{.}}</title>{{end}}</path>
{{else if eq .Kind "text"}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}"{{with .Class}} class="{{.}}"{{end}}>{{.Text}}</text>
{{end}}{{end}}</svg>{{end}}`
