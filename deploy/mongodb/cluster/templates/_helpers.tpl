{{/* Chart name and version as used in the helm.sh/chart label. */}}
{{- define "orders-mongodb.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels of every object of this chart. */}}
{{- define "orders-mongodb.labels" -}}
helm.sh/chart: {{ include "orders-mongodb.chart" . }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: orderstack
{{- end }}
