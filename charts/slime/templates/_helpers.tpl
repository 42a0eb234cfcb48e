{{/* Names and labels shared by every template. */}}

{{- define "slime.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <fullname>: the release name, or "<release>-slime" when the release name does not contain the chart name. */}}
{{- define "slime.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 58 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 58 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 58 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The operator's objects (Deployment, ConfigMap, Service, ServiceAccount, lease): <fullname>-boot. */}}
{{- define "slime.operator" -}}
{{- printf "%s-boot" (include "slime.fullname" .) -}}
{{- end -}}

{{- define "slime.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "slime.operator" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "slime.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "slime.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "slime.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of the operator pods; `app` as deploy/ sets it. */}}
{{- define "slime.selectorLabels" -}}
app: {{ include "slime.operator" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
