{{/*
A Deployment running `aggpayd serve` and the Service in front of it, shared by the
per-service workloads (services.yaml) and the monolith (monolith.yaml).

(dict "root" $ "component" "admin" "cfg" .Values.services.admin "services" "admin" "secretKey" true)
  component  name suffix and app.kubernetes.io/component
  cfg        replicas, resources, autoscaling, extraArgs, extraEnv, podAnnotations, nodeSelector,
             tolerations, affinity, topologySpreadConstraints
  services   the --services flag
  secretKey  whether the pod gets AGGPAY_SECRET_KEY
*/}}
{{- define "aggpay.aggpaydWorkload" -}}
{{- $root := .root -}}
{{- $cfg := .cfg | default dict -}}
{{- $component := .component -}}
{{- $name := include "aggpay.componentName" (list $root $component) -}}
{{- $autoscaling := $cfg.autoscaling | default dict -}}
{{- $secrets := list "mysql" "redis" "internal" -}}
{{- if .secretKey -}}
{{- $secrets = append $secrets "secretKey" -}}
{{- end -}}
{{- $startup := $root.Values.probes.startup -}}
{{- $liveness := $root.Values.probes.liveness -}}
{{- $readiness := $root.Values.probes.readiness -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "aggpay.componentLabels" (list $root $component) | nindent 4 }}
spec:
  {{- if not $autoscaling.enabled }}
  replicas: {{ include "aggpay.replicas" (list $root $cfg) }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "aggpay.selectorLabels" (list $root $component) | nindent 6 }}
  {{- with $root.Values.strategy }}
  strategy:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  template:
    metadata:
      labels:
        {{- include "aggpay.componentLabels" (list $root $component) | nindent 8 }}
        {{- include "aggpay.serverRoles" . | nindent 8 }}
        {{- with $root.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with (include "aggpay.podAnnotations" (dict "root" $root "cfg" $cfg "config" true "metrics" true)) }}
      annotations:
        {{- . | nindent 8 }}
      {{- end }}
    spec:
      {{- include "aggpay.podCommon" (list $root $cfg) | trim | nindent 6 }}
      {{- with (include "aggpay.topologySpread" (list $root $cfg $component) | trim) }}
      {{- . | nindent 6 }}
      {{- end }}
      terminationGracePeriodSeconds: {{ int $root.Values.terminationGracePeriodSeconds }}
      containers:
        - name: aggpayd
          image: {{ include "aggpay.image" (list $root dict) | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: [/usr/local/bin/aggpayd]
          args:
            - --config
            - /etc/aggpay/aggpayd.yaml
            - serve
            - --services={{ .services }}
            {{- range ($cfg.extraArgs | default list) }}
            - {{ . | quote }}
            {{- end }}
          ports:
            - name: grpc
              containerPort: {{ int $root.Values.ports.grpc }}
              protocol: TCP
            - name: http
              containerPort: {{ int $root.Values.ports.http }}
              protocol: TCP
          env:
            {{- include "aggpay.secretEnv" (list $root $secrets) | trim | nindent 12 }}
            {{- with $cfg.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          # Started and alive: the gRPC health service (over TLS, which the kubelet's gRPC probe
          # does not speak: GET /healthz on the HTTP port). Ready: /readyz (MySQL and Redis).
          startupProbe:
            {{- if $root.Values.tls.enabled }}
            httpGet:
              path: /healthz
              port: http
            {{- else }}
            grpc:
              port: {{ int $root.Values.ports.grpc }}
            {{- end }}
            periodSeconds: {{ int $startup.periodSeconds }}
            timeoutSeconds: {{ int $startup.timeoutSeconds }}
            failureThreshold: {{ int $startup.failureThreshold }}
          livenessProbe:
            {{- if $root.Values.tls.enabled }}
            httpGet:
              path: /healthz
              port: http
            {{- else }}
            grpc:
              port: {{ int $root.Values.ports.grpc }}
            {{- end }}
            periodSeconds: {{ int $liveness.periodSeconds }}
            timeoutSeconds: {{ int $liveness.timeoutSeconds }}
            failureThreshold: {{ int $liveness.failureThreshold }}
          readinessProbe:
            httpGet:
              path: {{ $readiness.path }}
              port: http
            periodSeconds: {{ int $readiness.periodSeconds }}
            timeoutSeconds: {{ int $readiness.timeoutSeconds }}
            failureThreshold: {{ int $readiness.failureThreshold }}
          {{- with $root.Values.lifecycle }}
          lifecycle:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $cfg.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with (include "aggpay.containerSecurity" $root | trim) }}
          {{- . | nindent 10 }}
          {{- end }}
          volumeMounts:
            {{- include "aggpay.volumeMounts" $root | nindent 12 }}
            {{- with (include "aggpay.tlsVolumeMounts" $root | trim) }}{{ . | nindent 12 }}{{ end }}
            {{- if has .services (list "all" "settlement") }}
            {{- with (include "aggpay.payouts" (list $root "mount") | trim) }}{{ . | nindent 12 }}{{ end }}
            {{- end }}
      volumes:
        {{- include "aggpay.volumes" (list $root (include "aggpay.fullname" $root)) | nindent 8 }}
        {{- with (include "aggpay.tlsVolumes" (list $root $component) | trim) }}{{ . | nindent 8 }}{{ end }}
        {{- if has .services (list "all" "settlement") }}
        {{- with (include "aggpay.payouts" (list $root "volume") | trim) }}{{ . | nindent 8 }}{{ end }}
        {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "aggpay.componentLabels" (list $root $component) | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "aggpay.selectorLabels" (list $root $component) | nindent 4 }}
  ports:
    - name: grpc
      port: {{ int $root.Values.ports.grpc }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    - name: http-metrics
      port: {{ int $root.Values.ports.http }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{/*
The Deployments this release runs, as "component" entries for pdb.yaml and hpa.yaml:
each enabled service (or the monolith) and the gateway. Returns YAML: a list of
{component, replicas, autoscaling, pdb}.
*/}}
{{- define "aggpay.workloads" -}}
{{- $root := . -}}
{{- $out := list -}}
{{- if .Values.monolith.enabled -}}
{{- $out = append $out (dict "component" "monolith" "cfg" .Values.monolith) -}}
{{- else -}}
{{- range $name, $svc := .Values.services -}}
{{- if and $svc $svc.enabled -}}
{{- $out = append $out (dict "component" $name "cfg" $svc) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if .Values.gateway.enabled -}}
{{- $out = append $out (dict "component" "gateway" "cfg" .Values.gateway) -}}
{{- end -}}
{{- $rows := list -}}
{{- range $out -}}
{{- $cfg := .cfg -}}
{{- $autoscaling := $cfg.autoscaling | default dict -}}
{{- $rows = append $rows (dict "component" .component "replicas" (int (include "aggpay.replicas" (list $root $cfg))) "autoscaling" $autoscaling "pdb" ($cfg.pdb | default dict)) -}}
{{- end -}}
{{- toYaml (dict "workloads" $rows) -}}
{{- end -}}
