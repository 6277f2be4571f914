{{- define "operator.name" -}}{{ .Release.Name }}{{- end -}}
{{- define "operator.labels" -}}
app.kubernetes.io/name: configstore-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
{{- define "operator.selector" -}}
app.kubernetes.io/name: configstore-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{/* "Role" when the operator watches one namespace, else "ClusterRole" */}}
{{- define "operator.roleKind" -}}{{ if .Values.watchNamespace }}Role{{ else }}ClusterRole{{ end }}{{- end -}}
