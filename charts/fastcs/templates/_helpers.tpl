{{/* Name used in labels: the chart name unless nameOverride is set. */}}
{{- define "fastcs.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of the StatefulSet, Service and PVC prefix: the release name unless fullnameOverride is set. */}}
{{- define "fastcs.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the pod. The Service and the StatefulSet use exactly these. */}}
{{- define "fastcs.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fastcs.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "fastcs.labels" -}}
{{ include "fastcs.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The image the service container runs: the debug image when editable. */}}
{{- define "fastcs.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.editable -}}
{{- $repo := default (printf "%s-debug" .Values.image.repository) .Values.debugImage.repository -}}
{{- printf "%s:%s" $repo (default $tag .Values.debugImage.tag) -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}
