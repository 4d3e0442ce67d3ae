// Command omscheck holds the checks of deploy/checks that need a library only Go has:
//
//	omscheck rules FILE...   PrometheusRule manifests: every group parsed and validated by
//	                         Prometheus's own rule-file code (rulefmt: PromQL syntax, label and
//	                         annotation templates, durations, duplicate names), as promtool does
//	omscheck exprs FILE...   Grafana dashboards (JSON): every panel target's "expr" parsed as
//	                         PromQL by Prometheus's parser
//	omscheck metrics FILE... the metric names that the queries of the rule files (YAML) and
//	                         dashboards (JSON) select, less the series the rules record: one per
//	                         line, for tests/deploy to compare with what the services export
//	omscheck crds FILE...    every custom resource of a rendered kustomize stream decoded strictly
//	                         into the operator's Go types (monitoring.coreos.com/v1 from the
//	                         Prometheus Operator, external-secrets.io/v1 from External Secrets):
//	                         an unknown field or a wrong type fails; a custom kind this tool does
//	                         not know fails too, so nothing passes unchecked
//
// Exit status 1 on the first file with a problem (all problems of that file are printed).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	esv1 "github.com/external-secrets/external-secrets/apis/externalsecrets/v1"
	monv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
	k8syaml "sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "metrics" {
		if err := printMetrics(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: omscheck rules|crds|exprs FILE...")
		os.Exit(2)
	}
	check := map[string]func([]byte) []error{
		"rules": checkRules, "crds": checkCRDs, "exprs": checkDashboardExprs,
	}[os.Args[1]]
	if check == nil {
		fmt.Fprintf(os.Stderr, "omscheck: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	failed := false
	for _, path := range os.Args[2:] {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		errs := check(data)
		for _, e := range errs {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, e)
		}
		if len(errs) > 0 {
			failed = true
		} else {
			fmt.Printf("%s: ok\n", path)
		}
	}
	if failed {
		os.Exit(1)
	}
}

// documents splits a YAML stream into its non-empty documents, each as JSON-compatible YAML.
func documents(data []byte) ([][]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs [][]byte
	for {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(node.Content) == 0 {
			continue
		}
		out, err := yaml.Marshal(&node)
		if err != nil {
			return nil, err
		}
		docs = append(docs, out)
	}
}

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// checkRules validates the spec.groups of every PrometheusRule in the stream with rulefmt.
func checkRules(data []byte) []error {
	docs, err := documents(data)
	if err != nil {
		return []error{err}
	}
	var errs []error
	found := 0
	for _, doc := range docs {
		var meta typeMeta
		if err := k8syaml.Unmarshal(doc, &meta); err != nil {
			return []error{err}
		}
		if meta.Kind != "PrometheusRule" {
			continue
		}
		found++
		var rule struct {
			Spec yaml.Node `yaml:"spec"`
		}
		if err := yaml.Unmarshal(doc, &rule); err != nil {
			return []error{err}
		}
		spec, err := yaml.Marshal(&rule.Spec)
		if err != nil {
			return []error{err}
		}
		// The rule file format is the PrometheusRule's spec: {groups: [...]}.
		// Strict as promtool check rules by default: unknown fields fail, legacy metric names.
		_, ruleErrs := rulefmt.Parse(spec, false, model.LegacyValidation,
			parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
		for _, e := range ruleErrs {
			errs = append(errs, fmt.Errorf("PrometheusRule %s: %w", meta.Metadata.Name, e))
		}
	}
	if found == 0 {
		errs = append(errs, errors.New("no PrometheusRule in the file"))
	}
	return errs
}

// checkCRDs decodes every object of a custom API group strictly into its Go type.
func checkCRDs(data []byte) []error {
	docs, err := documents(data)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, doc := range docs {
		var meta typeMeta
		if err := k8syaml.Unmarshal(doc, &meta); err != nil {
			return []error{err}
		}
		group := ""
		if i := strings.LastIndex(meta.APIVersion, "/"); i >= 0 {
			group = meta.APIVersion[:i]
		}
		if group == "" || !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io") {
			continue // built-in kinds: validated against the Kubernetes schemas elsewhere
		}
		var target any
		switch meta.APIVersion + "/" + meta.Kind {
		case "monitoring.coreos.com/v1/ServiceMonitor":
			target = &monv1.ServiceMonitor{}
		case "monitoring.coreos.com/v1/PrometheusRule":
			target = &monv1.PrometheusRule{}
		case "monitoring.coreos.com/v1/PodMonitor":
			target = &monv1.PodMonitor{}
		case "external-secrets.io/v1/ExternalSecret":
			target = &esv1.ExternalSecret{}
		case "external-secrets.io/v1/SecretStore":
			target = &esv1.SecretStore{}
		case "external-secrets.io/v1/ClusterSecretStore":
			target = &esv1.ClusterSecretStore{}
		default:
			errs = append(errs, fmt.Errorf("%s %s: no type known for this custom kind", meta.APIVersion, meta.Kind))
			continue
		}
		if err := k8syaml.UnmarshalStrict(doc, target); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", meta.Kind, meta.Metadata.Name, err))
		} else {
			fmt.Printf("  %s/%s %s: ok\n", meta.APIVersion, meta.Kind, meta.Metadata.Name)
		}
	}
	return errs
}

// checkDashboardExprs parses every "expr" string found anywhere in a Grafana dashboard.
func checkDashboardExprs(data []byte) []error {
	var dashboard any
	if err := json.Unmarshal(data, &dashboard); err != nil {
		return []error{err}
	}
	p := parser.NewParser(parser.Options{})
	var errs []error
	count := 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if s, ok := child.(string); ok && k == "expr" {
					count++
					// Grafana's template variables are not PromQL; none are used in queries here.
					if _, err := p.ParseExpr(s); err != nil {
						errs = append(errs, fmt.Errorf("%s.expr %q: %w", path, s, err))
					}
					continue
				}
				walk(path+"."+k, child)
			}
		case []any:
			for i, child := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), child)
			}
		}
	}
	walk("$", dashboard)
	if count == 0 {
		errs = append(errs, errors.New("no expr in the dashboard"))
	}
	return errs
}

// exprsOf returns the PromQL expressions of a dashboard (JSON) or a PrometheusRule stream (YAML),
// and the series names the rules record.
func exprsOf(path string, data []byte) (exprs []string, recorded []string, err error) {
	if strings.HasSuffix(path, ".json") {
		var dashboard any
		if err := json.Unmarshal(data, &dashboard); err != nil {
			return nil, nil, err
		}
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, child := range v {
					if s, ok := child.(string); ok && k == "expr" {
						exprs = append(exprs, s)
					} else {
						walk(child)
					}
				}
			case []any:
				for _, child := range v {
					walk(child)
				}
			}
		}
		walk(dashboard)
		return exprs, nil, nil
	}
	docs, err := documents(data)
	if err != nil {
		return nil, nil, err
	}
	for _, doc := range docs {
		var rule struct {
			Kind string `json:"kind"`
			Spec struct {
				Groups []struct {
					Rules []struct {
						Record string `json:"record"`
						Expr   string `json:"expr"`
					} `json:"rules"`
				} `json:"groups"`
			} `json:"spec"`
		}
		if err := k8syaml.Unmarshal(doc, &rule); err != nil {
			return nil, nil, err
		}
		if rule.Kind != "PrometheusRule" {
			continue
		}
		for _, g := range rule.Spec.Groups {
			for _, r := range g.Rules {
				exprs = append(exprs, r.Expr)
				if r.Record != "" {
					recorded = append(recorded, r.Record)
				}
			}
		}
	}
	return exprs, recorded, nil
}

func printMetrics(paths []string) error {
	p := parser.NewParser(parser.Options{})
	selected := map[string]bool{}
	recorded := map[string]bool{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		exprs, records, err := exprsOf(path, data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, r := range records {
			recorded[r] = true
		}
		for _, e := range exprs {
			expr, err := p.ParseExpr(e)
			if err != nil {
				return fmt.Errorf("%s: %q: %w", path, e, err)
			}
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				if vs, ok := node.(*parser.VectorSelector); ok && vs.Name != "" {
					selected[vs.Name] = true
				}
				return nil
			})
		}
	}
	var names []string
	for name := range selected {
		if !recorded[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Println(name)
	}
	return nil
}
