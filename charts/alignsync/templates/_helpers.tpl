{{/*
Names and labels shared by every template of the chart.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "alignsync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name: fullnameOverride, else the release name, followed by the
chart name unless the release name already contains it. Kept to 63 characters, the limit of
a label value.
*/}}
{{- define "alignsync.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels that select the operator's pods; they never change after install. */}}
{{- define "alignsync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "alignsync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "alignsync.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "alignsync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: alignsync
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The ServiceAccount the operator runs as. */}}
{{- define "alignsync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "alignsync.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The leader-election Lease name. */}}
{{- define "alignsync.leaseName" -}}
{{- default (include "alignsync.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{/* The metrics Service name, which is also the Prometheus `job` label of its targets. */}}
{{- define "alignsync.metricsServiceName" -}}
{{- printf "%s-metrics" (include "alignsync.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The image reference; the tag defaults to the chart's appVersion. */}}
{{- define "alignsync.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The rules the operator needs in each namespace it watches: its own resources and their
status, the Secrets and ConfigMaps they reference (read only), and Events about them.
*/}}
{{- define "alignsync.watchRules" -}}
- apiGroups: ["alignsync.dev"]
  resources: ["jiraalignusersyncs"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["alignsync.dev"]
  resources: ["jiraalignusersyncs/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
