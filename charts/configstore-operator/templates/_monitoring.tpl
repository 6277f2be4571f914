{{/* An alert's labels: its severity, then prometheusRule.alertLabels. Takes (list $ root $alertValues). */}}
{{- define "operator.alertLabels" -}}
{{- $root := index . 0 }}{{- $a := index . 1 -}}
severity: {{ $a.severity }}
{{- with $root.Values.prometheusRule.alertLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}
{{/* runbook_url when prometheusRule.runbookBaseUrl is set. Takes (list $ root "AlertName"). */}}
{{- define "operator.runbookUrl" -}}
{{- $root := index . 0 }}{{- $name := index . 1 -}}
{{- with $root.Values.prometheusRule.runbookBaseUrl -}}
runbook_url: {{ printf "%s#%s" . (lower $name) | quote }}
{{- end }}
{{- end -}}
{{/* The matcher scoping the rules to watchNamespace (a release per namespace), or none. */}}
{{- define "operator.alertScope" -}}
{{- with .Values.watchNamespace }}namespace={{ . | quote }}{{ end -}}
{{- end -}}
