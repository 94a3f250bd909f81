package emit

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/usagekit/usagekit/generator/model"
)

// metricJobs groups the active and broken metrics by definition file (a
// file with a time_frame list yields several metrics), one generated file
// each, named after the file's key_path.
func (g *gen) metricJobs() []job {
	var jobs []job
	var groups [][]*metricPlan
	index := map[string]int{}
	for _, mp := range g.plan.metrics {
		mp.descriptor = "metric" + mp.name
		i, ok := index[mp.m.File]
		if !ok {
			i = len(jobs)
			index[mp.m.File] = i
			jobs = append(jobs, job{
				name:   fileName("metric", mp.m.BaseKeyPath),
				source: g.opts.sourceName(mp.m.File),
				pos:    mp.m.Pos,
			})
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], mp)
	}
	for i := range jobs {
		group := groups[i]
		jobs[i].decls = func() []jen.Code {
			return groupDecls(group)
		}
	}
	return jobs
}

var timeFrames = map[model.TimeFrame]string{
	model.Weekly: "Weekly", model.Monthly: "Monthly", model.AllTime: "AllTime", model.None: "None",
}

var statuses = map[model.Status]string{model.Active: "Active", model.Broken: "Broken"}

// resultType is the Go type a metric's value has, from its value_type.
func resultType(m *model.Metric) *jen.Statement {
	switch m.ValueType {
	case "string":
		return jen.String()
	case "boolean":
		return jen.Bool()
	case "object":
		return jen.Map(jen.String()).Any()
	}
	if m.NumberIsFloat {
		return jen.Float64()
	}
	return jen.Int64()
}

// groupDecls declares the metrics of one definition file: a descriptor per
// time frame, each on one line, the event rules they share, and a typed
// calculator per metric. One-line literals are what go/format handles
// fastest: it measures each element of a multi-line list by printing it an
// extra time.
func groupDecls(group []*metricPlan) []jen.Code {
	first := group[0]
	vars := docComment(fmt.Sprintf("Descriptors of %s, one per time frame.", first.m.BaseKeyPath))
	for i, mp := range group {
		if i > 0 {
			vars.Line()
		}
		vars.Var().Id(mp.descriptor).Op("=").Qual(pathMetric, "Descriptor").Add(descriptorLit(mp.m, first))
	}
	decls := []jen.Code{vars}
	if len(first.m.Events) > 0 {
		r := docComment(fmt.Sprintf("rules%s are the event rules of %s.", first.name, first.m.BaseKeyPath))
		r.Var().Id("rules"+first.name).Op("=").Index().Qual(pathMetric, "EventRule").CustomFunc(multiLine, func(g *jen.Group) {
			for _, er := range first.m.Events {
				g.Add(eventRuleLit(er))
			}
		})
		decls = append(decls, r)
	}
	for _, mp := range group {
		decls = append(decls, calculatorDecl(mp))
	}
	return decls
}

// calculatorDecl is the typed calculator of one metric.
func calculatorDecl(mp *metricPlan) jen.Code {
	m := mp.m
	about := fmt.Sprintf("%s computes the metric %s (time frame %s, data source %s).", mp.name, m.KeyPath, m.TimeFrame, m.DataSource)
	status := ""
	if m.Status == model.Broken {
		status = "The metric is broken: its value is known to be wrong until it is repaired."
		if m.RepairIssueURL != "" {
			status += "\nSee " + m.RepairIssueURL + "."
		}
	}
	params := []jen.Code{jen.Id("ctx").Qual(pathContext, "Context"), jen.Id("e").Op("*").Qual(pathMetric, "Engine")}
	descriptor := mp.ref()
	if m.NeedsCode() {
		about += "\nThe engine calls Instrumentation." + mp.name + " under its timeout."
		params = append(params, jen.Id("app").Id("Instrumentation"))
		descriptor = mp.withValue()
	}
	calc := docComment(about, userText(m.Description), status, deprecated(m.MilestoneRemoved, m.RemovedByURL))
	calc.Func().Id(mp.name).Params(params...).Params(resultType(m), jen.Error()).Block(
		jen.Return(jen.Id("asResult").Index(resultType(m)).Call(
			jen.Id("e").Dot("Value").Call(jen.Id("ctx"), descriptor),
		)),
	)
	return calc
}

// withValue is the descriptor of a metric that needs code, computed by the
// Instrumentation method of its name.
func (mp *metricPlan) withValue() *jen.Statement {
	return jen.Id("withValue").Call(mp.ref(), jen.Id("app"), jen.Id("Instrumentation").Dot(mp.name))
}

// descriptorLit is m's descriptor on one line. Its event rules are those
// of first, the group's first metric, which every time frame shares.
func descriptorLit(m *model.Metric, first *metricPlan) jen.Code {
	tf := jen.Qual(pathMetric, timeFrames[m.TimeFrame])
	if _, ok := timeFrames[m.TimeFrame]; !ok {
		tf = jen.Qual(pathMetric, "TimeFrame").Call(jen.Lit(string(m.TimeFrame)))
	}
	items := []jen.Code{
		kv("KeyPath", jen.Lit(m.KeyPath)),
		kv("Description", jen.Lit(m.Description)),
		kv("TimeFrame", tf),
		kv("DataSource", jen.Lit(m.DataSource)),
		kv("ValueType", jen.Lit(m.ValueType)),
	}
	if m.DataCategory != "" {
		items = append(items, kv("DataCategory", jen.Lit(m.DataCategory)))
	}
	items = append(items, kv("Status", jen.Qual(pathMetric, statuses[m.Status])))
	if m.InstrumentationClass != "" {
		items = append(items, kv("InstrumentationClass", jen.Lit(m.InstrumentationClass)))
	}
	if len(m.Events) > 0 {
		items = append(items, kv("Events", jen.Id("rules"+first.name)))
	}
	if db := m.Database; db != nil && !m.NeedsCode() {
		d := []jen.Code{kv("Operation", jen.Lit(db.Operation)), kv("Table", jen.Lit(db.Table))}
		if db.Column != "" {
			d = append(d, kv("Column", jen.Lit(db.Column)))
		}
		if db.Where != "" {
			d = append(d, kv("Where", jen.Lit(db.Where)))
		}
		if db.TimestampColumn != "" {
			d = append(d, kv("TimestampColumn", jen.Lit(db.TimestampColumn)))
		}
		items = append(items, kv("Database", jen.Op("&").Qual(pathMetric, "Database").Values(d...)))
	}
	return jen.Values(items...)
}

func eventRuleLit(r *model.EventRule) jen.Code {
	items := []jen.Code{kv("Event", jen.Lit(r.Event))}
	if r.Unique != "" {
		items = append(items, kv("Unique", jen.Lit(string(r.Unique))))
	}
	if len(r.Filter) > 0 {
		items = append(items, kv("Filter", jen.Index().Qual(pathMetric, "FilterTerm").ValuesFunc(func(g *jen.Group) {
			for _, t := range sortedFilter(r.Filter) {
				g.Values(kv("Key", jen.Lit(t.Property)), kv("Value", jen.Lit(t.Value.Text)))
			}
		})))
	}
	if r.Operator != "" {
		items = append(items, kv("Operator", jen.Lit(r.Operator)))
	}
	return jen.Values(items...)
}

// packageDecls is the package-wide API: the Instrumentation interface, the
// event registry, Metrics and the helpers the calculators share.
func (g *gen) packageDecls() []jen.Code {
	var code []*metricPlan
	for _, mp := range g.plan.metrics {
		if mp.m.NeedsCode() {
			code = append(code, mp)
		}
	}
	iface := docComment(
		"Instrumentation computes the metrics that only the application can: system and\n" +
			"license facts and metrics with an instrumentation class. When a definition adds\n" +
			"such a metric, the application stops compiling until it implements the method.",
	)
	iface.Type().Id("Instrumentation").InterfaceFunc(func(ig *jen.Group) {
		for _, mp := range code {
			ig.Add(docComment(fmt.Sprintf("%s returns the value of %s.", mp.name, mp.m.KeyPath), userText(mp.m.Description))).
				Id(mp.name).Params(jen.Id("ctx").Qual(pathContext, "Context")).Params(resultType(mp.m), jen.Error())
		}
	})
	decls := []jen.Code{iface}

	events := docComment("Events returns the descriptor of every active event, sorted by name. The\n" +
		"descriptors are shared: do not modify them.")
	events.Func().Id("Events").Params().Index().Op("*").Qual(pathEvent, "Descriptor").BlockFunc(func(b *jen.Group) {
		if len(g.plan.events) == 0 {
			b.Return(jen.Nil())
			return
		}
		b.Return(jen.Index().Op("*").Qual(pathEvent, "Descriptor").CustomFunc(multiLine, func(l *jen.Group) {
			for _, ep := range g.plan.events {
				l.Op("&").Id("event" + ep.name)
			}
		}))
	})
	decls = append(decls, events)

	metrics := docComment(
		"Metrics returns the descriptor of every active and broken metric, in key_path\n" +
			"order. Metrics that need application code call app; app may be nil when there\n" +
			"are none (such a metric then fails with an error). The descriptors of the other\n" +
			"metrics are shared: do not modify them.",
	)
	metrics.Func().Id("Metrics").Params(jen.Id("app").Id("Instrumentation")).Index().Op("*").Qual(pathMetric, "Descriptor").BlockFunc(func(b *jen.Group) {
		if len(g.plan.metrics) == 0 {
			b.Return(jen.Nil())
			return
		}
		b.Return(jen.Index().Op("*").Qual(pathMetric, "Descriptor").CustomFunc(multiLine, func(l *jen.Group) {
			for _, mp := range g.plan.metrics {
				if mp.m.NeedsCode() {
					l.Add(mp.withValue())
				} else {
					l.Add(mp.ref())
				}
			}
		}))
	})
	decls = append(decls, metrics)
	if len(g.plan.metrics) > 0 {
		decls = append(decls, asResultDecl())
	}
	if len(code) > 0 {
		decls = append(decls, withValueDecl())
	}
	return decls
}

func asResultDecl() jen.Code {
	s := docComment("asResult converts what metric.Engine.Value returns to a calculator's result\n" +
		"type. Counts come back as int64 and sums as float64; either converts to the other.")
	t := jen.Id("T")
	s.Func().Id("asResult").Types(
		jen.Id("T").Union(jen.Int64(), jen.Float64(), jen.String(), jen.Bool(), jen.Map(jen.String()).Any()),
	).Params(jen.Id("v").Any(), jen.Err().Error()).Params(t.Clone(), jen.Error()).Block(
		jen.Var().Id("zero").Add(t.Clone()),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("zero"), jen.Err())),
		jen.If(jen.List(jen.Id("x"), jen.Id("ok")).Op(":=").Id("v").Assert(t.Clone()), jen.Id("ok")).Block(
			jen.Return(jen.Id("x"), jen.Nil()),
		),
		jen.Switch(jen.Id("n").Op(":=").Id("v").Assert(jen.Type())).Block(
			jen.Case(jen.Int64()).Block(
				jen.If(jen.List(jen.Id("x"), jen.Id("ok")).Op(":=").Any().Call(jen.Float64().Call(jen.Id("n"))).Assert(t.Clone()), jen.Id("ok")).Block(
					jen.Return(jen.Id("x"), jen.Nil()),
				),
			),
			jen.Case(jen.Float64()).Block(
				jen.If(jen.List(jen.Id("x"), jen.Id("ok")).Op(":=").Any().Call(jen.Int64().Call(jen.Qual(pathMath, "Round").Call(jen.Id("n")))).Assert(t.Clone()), jen.Id("ok")).Block(
					jen.Return(jen.Id("x"), jen.Nil()),
				),
			),
		),
		jen.Return(jen.Id("zero"), jen.Qual(pathFmt, "Errorf").Call(jen.Lit("metric value %v is a %T, not a %T"), jen.Id("v"), jen.Id("v"), jen.Id("zero"))),
	)
	return s
}

func withValueDecl() jen.Code {
	s := docComment("errNoInstrumentation fails the metrics that need application code when no\n" +
		"Instrumentation was given.")
	s.Var().Id("errNoInstrumentation").Op("=").Qual(pathErrors, "New").Call(jen.Lit("no Instrumentation given to Metrics"))
	s.Line().Line()
	s.Add(docComment("withValue returns a copy of d that the engine computes by calling method on app."))
	s.Func().Id("withValue").Types(jen.Id("T").Any()).Params(
		jen.Id("d").Op("*").Qual(pathMetric, "Descriptor"),
		jen.Id("app").Id("Instrumentation"),
		jen.Id("method").Func().Params(jen.Id("Instrumentation"), jen.Qual(pathContext, "Context")).Params(jen.Id("T"), jen.Error()),
	).Op("*").Qual(pathMetric, "Descriptor").Block(
		jen.Id("c").Op(":=").Op("*").Id("d"),
		jen.Id("c").Dot("Value").Op("=").Func().Params(jen.Id("ctx").Qual(pathContext, "Context")).Params(jen.Any(), jen.Error()).Block(
			jen.If(jen.Id("app").Op("==").Nil()).Block(jen.Return(jen.Nil(), jen.Id("errNoInstrumentation"))),
			jen.List(jen.Id("v"), jen.Err()).Op(":=").Id("method").Call(jen.Id("app"), jen.Id("ctx")),
			jen.Return(jen.Id("v"), jen.Err()),
		),
		jen.Return(jen.Op("&").Id("c")),
	)
	return s
}
