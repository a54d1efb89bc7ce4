{{- define "ioc-instance.statefulset" -}}
{{- $v := index .Values "ioc-instance" -}}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ .Release.Name }}
  labels:
    app: {{ .Release.Name }}
spec:
  replicas: 1
  serviceName: {{ .Release.Name }}
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
        is_ioc: "true"
    spec:
      containers:
        - name: {{ .Release.Name }}
          image: {{ $v.image }}
          command: {{ toJson $v.command }}
          stdin: true
          tty: true
{{- end -}}
