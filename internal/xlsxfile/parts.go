package xlsxfile

import (
	"strconv"
	"strings"

	"github.com/custexport/custexport"
)

const (
	xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	nsMain    = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel     = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsPkgRel  = "http://schemas.openxmlformats.org/package/2006/relationships"
	ctPrefix  = "application/vnd.openxmlformats-officedocument.spreadsheetml."
)

// sheetStart follows `<sheetView` in every worksheet: the header row frozen, fixed column
// widths (measuring values would need a second pass) and the header row itself.
var sheetStart = func() string {
	var b strings.Builder
	b.WriteString(` workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>` +
		`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>` + "\n" +
		`<sheetFormatPr defaultRowHeight="15"/>` + "\n" + `<cols>`)
	for i := range custexport.NumColumns {
		n := strconv.Itoa(i + 1)
		b.WriteString("\n" + `<col min="` + n + `" max="` + n + `" width="` + strconv.Itoa(columnWidth(custexport.Column(i))) + `" customWidth="1"/>`)
	}
	b.WriteString("</cols>\n<sheetData>\n" + `<row r="1">`)
	for i := range custexport.NumColumns {
		b.WriteString(`<c s="` + styleHeader + `" t="inlineStr"><is><t>` + custexport.Column(i).Tag() + `</t></is></c>`)
	}
	b.WriteString("</row>\n")
	return b.String()
}()

// columnWidth is a fixed width in characters: room for a typical value, and for the header
// tag next to the auto-filter button.
func columnWidth(col custexport.Column) int {
	w := 20
	switch col {
	case custexport.ColGUID, custexport.ColAccountGUID:
		w = 38
	case custexport.ColEmail:
		w = 30
	case custexport.ColRemark:
		w = 50
	}
	switch col.Kind() {
	case custexport.KindDateTime:
		w = 20
	case custexport.KindDate:
		w = 12
	case custexport.KindDecimal, custexport.KindBool:
		w = 8
	}
	return max(w, len(col.Tag())+4)
}

// part is one zip entry written at Close.
type part struct {
	name string
	data []byte
}

// packageParts returns the parts that depend on the number of worksheets, known only at the
// end. The zip entry order is free (OPC, ECMA-376 part 2, finds parts by the central
// directory): openpyxl itself writes [Content_Types].xml last, and Excel opens its files.
func (e *Encoder) packageParts() []part {
	var ct, rels, wb strings.Builder

	ct.WriteString(xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="` + ctPrefix + `sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="` + ctPrefix + `styles+xml"/>`)

	rels.WriteString(xmlHeader + `<Relationships xmlns="` + nsPkgRel + `">`)

	wb.WriteString(xmlHeader + `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `">` +
		"\n" + `<bookViews><workbookView activeTab="0"/></bookViews>` + "\n<sheets>")
	var names strings.Builder
	for n := 1; n <= e.sheets; n++ {
		num := strconv.Itoa(n)
		ct.WriteString(`<Override PartName="/` + sheetPath(n) + `" ContentType="` + ctPrefix + `worksheet+xml"/>`)
		rels.WriteString(`<Relationship Id="rId` + num + `" Type="` + nsRel + `/worksheet" Target="worksheets/sheet` + num + `.xml"/>`)
		name := SheetName(n)
		wb.WriteString("\n" + `<sheet name="` + name + `" sheetId="` + num + `" r:id="rId` + num + `"/>`)
		// Excel keeps each sheet's auto-filter range in this hidden name as well; without it
		// Excel still opens the file, but writes it back on the first save.
		rows := e.maxRows
		if n == e.sheets {
			rows = e.rows
		}
		names.WriteString("\n" + `<definedName name="_xlnm._FilterDatabase" localSheetId="` + strconv.Itoa(n-1) + `" hidden="1">'` +
			name + `'!$A$1:$` + colNames[custexport.NumColumns-1] + `$` + strconv.Itoa(rows+1) + `</definedName>`)
	}
	styles := strconv.Itoa(e.sheets + 1)
	rels.WriteString(`<Relationship Id="rId` + styles + `" Type="` + nsRel + `/styles" Target="styles.xml"/></Relationships>`)
	wb.WriteString("\n</sheets>\n<definedNames>" + names.String() + "\n</definedNames>\n</workbook>")
	ct.WriteString(`</Types>`)

	return []part{
		{"xl/workbook.xml", []byte(wb.String())},
		{"xl/_rels/workbook.xml.rels", []byte(rels.String())},
		{"xl/styles.xml", []byte(stylesXML)},
		{"_rels/.rels", []byte(xmlHeader + `<Relationships xmlns="` + nsPkgRel + `">` +
			`<Relationship Id="rId1" Type="` + nsRel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"[Content_Types].xml", []byte(ct.String())},
	}
}

// SheetName is the name of the export's nth sheet: "Customers", then "Customers 2",
// "Customers 3", … The import reads the sheets of these names.
func SheetName(n int) string {
	if n == 1 {
		return "Customers"
	}
	return "Customers " + strconv.Itoa(n)
}

// stylesXML holds the cell formats in the order of the style* constants: default, bold
// header, date-time, date, four-decimal number and quote-prefixed text.
const stylesXML = xmlHeader + `<styleSheet xmlns="` + nsMain + `">` + "\n" +
	`<numFmts count="3">` +
	`<numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/>` +
	`<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/>` +
	`<numFmt numFmtId="166" formatCode="0.0000"/>` +
	`</numFmts>` + "\n" +
	`<fonts count="2">` +
	`<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
	`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
	`</fonts>` + "\n" +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` + "\n" +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` + "\n" +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` + "\n" +
	`<cellXfs count="6">` + "\n" +
	`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` + "\n" +
	`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>` + "\n" +
	`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` + "\n" +
	`<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` + "\n" +
	`<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` + "\n" +
	`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>` + "\n" +
	`</cellXfs>` + "\n" +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` + "\n" +
	`</styleSheet>`
