package emit

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/metric"
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

// groupDecls declares the metrics of one definition file: a descriptor
// per time frame and a typed calculator per metric.
func groupDecls(group []*metricPlan) []jen.Code {
	var decls []jen.Code
	for _, mp := range group {
		d := docComment(fmt.Sprintf("%s describes the metric %s.", mp.descriptor, mp.m.KeyPath))
		d.Var().Id(mp.descriptor).Op("=").Qual(pathMetric, "Descriptor").Add(descriptorLit(mp.m.Descriptor()))
		decls = append(decls, d)
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
	if m.Status == metric.Broken {
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
		jen.Return(jen.Qual(pathMetric, "As").Index(resultType(m)).Call(
			jen.Id("e").Dot("Value").Call(jen.Id("ctx"), descriptor),
		)),
	)
	return calc
}

// withValue is the descriptor of a metric that needs code, computed by the
// Instrumentation method of its name.
func (mp *metricPlan) withValue() *jen.Statement {
	return jen.Qual(pathMetric, "WithValue").Call(mp.ref(), jen.Id("app"), jen.Id("Instrumentation").Dot(mp.name))
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

	events := docComment("Events returns the descriptor of every active internal event, sorted by name.\n" +
		"The descriptors are shared: do not modify them.")
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
	return decls
}
