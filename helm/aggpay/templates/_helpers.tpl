{{/*
Names, labels, the shared aggpayd.yaml and the pieces every pod has in common.
*/}}

{{- define "aggpay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>, or <release>-aggpay when the release name does not already say aggpay. */}}
{{- define "aggpay.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "aggpay.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
<fullname>-<component>, at most 63 characters; the fullname is shortened, never the component,
so two components never collide. Call with (list $ "admin").
*/}}
{{- define "aggpay.componentName" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $max := int (sub 62 (len $component)) -}}
{{- printf "%s-%s" (include "aggpay.fullname" $root | trunc $max | trimSuffix "-") $component -}}
{{- end -}}

{{- define "aggpay.labels" -}}
helm.sh/chart: {{ include "aggpay.chart" . }}
app.kubernetes.io/name: {{ include "aggpay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: aggpay
{{- end -}}

{{/* (list $ "admin") */}}
{{- define "aggpay.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "aggpay.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* (list $ "admin") */}}
{{- define "aggpay.componentLabels" -}}
{{ include "aggpay.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* (list $ override): override may hold repository and tag. */}}
{{- define "aggpay.image" -}}
{{- $root := index . 0 -}}
{{- $override := index . 1 | default dict -}}
{{- $repository := $override.repository | default $root.Values.image.repository -}}
{{- $tag := $override.tag | default $root.Values.image.tag | default $root.Chart.AppVersion -}}
{{- printf "%s:%s" $repository (toString $tag) -}}
{{- end -}}

{{/* (list $ cfg): cfg.replicas, 1 when absent (0 is kept). */}}
{{- define "aggpay.replicas" -}}
{{- $cfg := index . 1 -}}
{{- if hasKey $cfg "replicas" -}}{{- int $cfg.replicas -}}{{- else -}}1{{- end -}}
{{- end -}}

{{/*
Checks run once per render (from configmap.yaml), so a bad install fails at `helm install`
rather than as crash-looping pods.
*/}}
{{- define "aggpay.validate" -}}
{{- $_ := required "existingSecret: name the Secret holding AGGPAY_MYSQL_PASSWORD, AGGPAY_INTERNAL_SECRET, AGGPAY_SECRET_KEY (and optionally AGGPAY_REDIS_PASSWORD); see docs/kubernetes.md" .Values.existingSecret -}}
{{- $_ = required "mysql.host: the MySQL (or TiDB/Vitess) host aggpay uses" .Values.mysql.host -}}
{{- $_ = required "redis.host: the Redis host aggpay uses" .Values.redis.host -}}
{{- $enabled := include "aggpay.enabledServices" . -}}
{{- if not $enabled -}}
{{- fail "services: enable at least one service" -}}
{{- end -}}
{{- if and (not .Values.monolith.enabled) (not (has "admin" (splitList "," $enabled))) (not (hasKey (.Values.config.extraPeers | default dict) "admin")) -}}
{{- fail "services.admin.enabled: every service checks staff tokens and writes audit entries through admin; enable it, or name an admin elsewhere in config.extraPeers.admin" -}}
{{- end -}}
{{- end -}}

{{/* Enabled service names, comma-separated, in name order. */}}
{{- define "aggpay.enabledServices" -}}
{{- $names := list -}}
{{- range $name, $svc := .Values.services -}}
{{- if and $svc $svc.enabled -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}
{{- join "," $names -}}
{{- end -}}

{{/*
host:port where a service is reached in this release: <fullname>-<service>:50051, or the
monolith's Service when monolith.enabled. (list $ "merchant")
*/}}
{{- define "aggpay.peerAddress" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- if $root.Values.monolith.enabled -}}
{{- $component = "monolith" -}}
{{- end -}}
{{- printf "%s:%d" (include "aggpay.componentName" (list $root $component)) (int $root.Values.ports.grpc) -}}
{{- end -}}

{{/* The peers map: every enabled service, then config.extraPeers on top. */}}
{{- define "aggpay.peers" -}}
{{- $root := . -}}
{{- $peers := dict -}}
{{- range $name, $svc := .Values.services -}}
{{- if and $svc $svc.enabled -}}
{{- $_ := set $peers $name (include "aggpay.peerAddress" (list $root $name)) -}}
{{- end -}}
{{- end -}}
{{- range $name, $address := .Values.config.extraPeers -}}
{{- $_ := set $peers $name $address -}}
{{- end -}}
{{- toYaml $peers -}}
{{- end -}}

{{/*
aggpayd.yaml. aggpayd refuses unknown keys, so everything here is a key it documents.
`services` is overridden by --services on every serve command line.
*/}}
{{- define "aggpay.config" -}}
grpc_listen: "0.0.0.0:{{ int .Values.ports.grpc }}"
http_listen: "0.0.0.0:{{ int .Values.ports.http }}"
migrations_dir: {{ .Values.config.migrationsDir | quote }}
services: [all]
{{- $mysql := deepCopy .Values.mysql }}
{{- $redis := deepCopy .Values.redis }}
{{- if .Values.bundled.mariadb.enabled }}
{{- $_ := set $mysql "host" (include "aggpay.componentName" (list . "mariadb")) }}
{{- $_ = set $mysql "port" 3306 }}
{{- end }}
{{- if .Values.bundled.redis.enabled }}
{{- $_ := set $redis "host" (include "aggpay.componentName" (list . "redis")) }}
{{- $_ = set $redis "port" 6379 }}
{{- end }}
mysql:
  {{- toYaml $mysql | nindent 2 }}
redis:
  {{- toYaml $redis | nindent 2 }}
log:
  {{- toYaml .Values.config.log | nindent 2 }}
auth:
  {{- toYaml .Values.config.auth | nindent 2 }}
{{- with .Values.config.merchantApi }}
merchant_api:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- $binding := dict "sms_log" "/tmp/aggpay-sms.log" }}
{{- if and .Values.gateway.enabled .Values.gateway.ingress.enabled .Values.gateway.ingress.host }}
{{- $_ := set $binding "public_base_url" (printf "https://%s" .Values.gateway.ingress.host) }}
{{- end }}
binding:
  {{- toYaml (merge (deepCopy (.Values.config.binding | default dict)) $binding) | nindent 2 }}
{{- range $key, $block := (.Values.config.extra | default dict) }}
{{- if has $key (list "grpc_listen" "http_listen" "migrations_dir" "services" "mysql" "redis" "log" "auth" "merchant_api" "binding" "settlement" "peers" "tls") }}
{{- fail (printf "config.extra.%s: the chart writes %s itself; set it through its own value" $key $key) }}
{{- end }}
{{ $key }}:
  {{- toYaml $block | nindent 2 }}
{{- end }}
settlement:
  zone: {{ .Values.settlement.timeZone | quote }}
  output_dir: {{ .Values.settlement.payoutDir | quote }}
  {{- with .Values.settlement.calendar }}
  calendar: {{ . | quote }}
  {{- end }}
  # The D0 cycle runs as the chart's CronJob, not as a timer inside `aggpayd serve`.
  d0_schedule: false
peers:
  {{- include "aggpay.peers" . | nindent 2 }}
{{- if .Values.tls.enabled }}
# Mutual TLS: each pod's own certificate (CN = its component, the caller identity) and the CA,
# mounted by aggpay.tlsVolumes; re-read every reload_interval, so a renewed Secret is served
# without a restart.
tls:
  mode: mtls
  cert_file: /var/run/aggpay/tls/cert/tls.crt
  key_file: /var/run/aggpay/tls/cert/tls.key
  ca_file: /var/run/aggpay/tls/ca/ca.crt
  reload_interval: {{ .Values.tls.reloadInterval | default "60s" }}
{{- else }}
# tls.enabled is false: no TLS, and the shared AGGPAY_INTERNAL_SECRET is every caller's
# credential. For development only (docs/security.md "Service identities").
tls:
  mode: plaintext
{{- end }}
{{- end -}}

{{/*
The gateway's flags for reaching aggpayd: mutual TLS with its certificate (CN=gateway), or
--plaintext when tls.enabled is false.
*/}}
{{- define "aggpay.gatewayTlsArgs" -}}
{{- if .Values.tls.enabled }}
- --grpc-ca
- /var/run/aggpay/tls/ca/ca.crt
- --grpc-cert
- /var/run/aggpay/tls/cert/tls.crt
- --grpc-key
- /var/run/aggpay/tls/cert/tls.key
{{- else }}
- --plaintext
{{- end }}
{{- end -}}

{{/*
The network roles of a pod, as labels the NetworkPolicies select on. (list "grpc-server" ...)
  grpc-server   an aggpayd serving gRPC (a service or the monolith)
  grpc-client   may call the services' grpc port (services, gateway, settlement Jobs)
  store-client  may reach MySQL and Redis (services, migration Job, settlement Jobs)
*/}}
{{- define "aggpay.roleLabels" -}}
{{- $out := list -}}
{{- range . -}}
{{- $out = append $out (printf "aggpay.io/%s: \"true\"" .) -}}
{{- end -}}
{{- join "\n" $out -}}
{{- end -}}

{{/* The aggpayd roles: what every `aggpayd serve` pod is. */}}
{{- define "aggpay.serverRoles" -}}
{{- include "aggpay.roleLabels" (list "grpc-server" "grpc-client" "store-client") -}}
{{- end -}}

{{/*
The payout file directory (settlement.output_dir), writable under the read-only root: in the
settlement Jobs and in the pods hosting the settlement service, which writes the file when a
batch is run over gRPC. (list $ "volume"|"mount")
*/}}
{{- define "aggpay.payouts" -}}
{{- $root := index . 0 -}}
{{- $s := $root.Values.settlement -}}
{{- if eq (index . 1) "mount" }}
- name: payouts
  mountPath: {{ $s.payoutDir }}
{{- else }}
- name: payouts
  {{- if $s.payoutVolume }}
  {{- toYaml $s.payoutVolume | nindent 2 }}
  {{- else }}
  emptyDir: {}
  {{- end }}
{{- end }}
{{- end -}}

{{/* The Secret holding a component's TLS certificate (issue 14). (list $ "admin") */}}
{{- define "aggpay.tlsSecretName" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $named := $root.Values.tls.certSecrets | default dict -}}
{{- if hasKey $named $component -}}
{{- index $named $component -}}
{{- else -}}
{{- printf "%s-tls" (include "aggpay.componentName" (list $root $component)) -}}
{{- end -}}
{{- end -}}

{{/* TLS volumes of a component's pod, when tls.enabled. (list $ "admin") */}}
{{- define "aggpay.tlsVolumes" -}}
{{- $root := index . 0 -}}
{{- if $root.Values.tls.enabled }}
- name: tls-ca
  secret:
    secretName: {{ required "tls.caSecret: the Secret holding ca.crt" $root.Values.tls.caSecret }}
    items:
      - {key: ca.crt, path: ca.crt}
- name: tls-cert
  secret:
    secretName: {{ include "aggpay.tlsSecretName" . }}
    items:
      - {key: tls.crt, path: tls.crt}
      - {key: tls.key, path: tls.key}
{{- end }}
{{- end -}}

{{- define "aggpay.tlsVolumeMounts" -}}
{{- if .Values.tls.enabled }}
- name: tls-ca
  mountPath: /var/run/aggpay/tls/ca
  readOnly: true
- name: tls-cert
  mountPath: /var/run/aggpay/tls/cert
  readOnly: true
{{- end }}
{{- end -}}

{{/*
Secret environment variables, from existingSecret. (list $ (list "mysql" "redis" "internal" "secretKey"))
names which ones the pod gets.
*/}}
{{- define "aggpay.secretEnv" -}}
{{- $root := index . 0 -}}
{{- $want := index . 1 -}}
{{- $secret := $root.Values.existingSecret -}}
{{- $keys := $root.Values.secretKeys -}}
{{- if has "mysql" $want }}
- name: AGGPAY_MYSQL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.mysqlPassword }}
{{- end }}
{{- if has "redis" $want }}
- name: AGGPAY_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.redisPassword }}
      optional: true
{{- end }}
{{- if has "internal" $want }}
- name: AGGPAY_INTERNAL_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.internalSecret }}
{{- end }}
{{- if has "secretKey" $want }}
- name: AGGPAY_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.secretKey }}
{{- end }}
{{- end -}}

{{/*
Pod annotations: the config checksum (so a config change rolls the pods that read it), Prometheus scrape
annotations for aggpayd pods, the global podAnnotations and the component's own.
(dict "root" $ "cfg" cfg "config" true "metrics" true)
*/}}
{{- define "aggpay.podAnnotations" -}}
{{- $root := .root -}}
{{- $annotations := dict -}}
{{- if .config -}}
{{- $_ := set $annotations "checksum/config" (include "aggpay.config" $root | sha256sum) -}}
{{- end -}}
{{- if and .metrics $root.Values.metrics.annotations -}}
{{- $_ := set $annotations "prometheus.io/scrape" "true" -}}
{{- $_ = set $annotations "prometheus.io/port" (toString (int $root.Values.ports.http)) -}}
{{- $_ = set $annotations "prometheus.io/path" "/metrics" -}}
{{- end -}}
{{- range $k, $v := $root.Values.podAnnotations -}}
{{- $_ := set $annotations $k $v -}}
{{- end -}}
{{- range $k, $v := (.cfg.podAnnotations | default dict) -}}
{{- $_ := set $annotations $k $v -}}
{{- end -}}
{{- if $annotations -}}
{{- toYaml $annotations -}}
{{- end -}}
{{- end -}}

{{/*
Pod spec fields shared by every pod: service account, security, scheduling. cfg's own
nodeSelector, tolerations and affinity replace the global ones. (list $ cfg)
*/}}
{{- define "aggpay.podCommon" -}}
{{- $root := index . 0 -}}
{{- $cfg := index . 1 | default dict -}}
{{- with $root.Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $root.Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with ($cfg.nodeSelector | default $root.Values.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with ($cfg.tolerations | default $root.Values.tolerations) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with ($cfg.affinity | default $root.Values.affinity) }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* topologySpreadConstraints for a Deployment's pods. (list $ cfg "admin") */}}
{{- define "aggpay.topologySpread" -}}
{{- $root := index . 0 -}}
{{- $cfg := index . 1 | default dict -}}
{{- if $cfg.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml $cfg.topologySpreadConstraints | nindent 2 }}
{{- else if $root.Values.topologySpread.enabled }}
{{- $spread := $root.Values.topologySpread }}
topologySpreadConstraints:
  - maxSkew: {{ int $spread.maxSkew }}
    topologyKey: {{ $spread.topologyKey }}
    whenUnsatisfiable: {{ $spread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "aggpay.selectorLabels" (list $root (index . 2)) | nindent 8 }}
{{- end }}
{{- end -}}

{{/* Volumes of a pod running a binary of the image. (list $ "configmap-name") */}}
{{- define "aggpay.volumes" -}}
- name: config
  configMap:
    name: {{ index . 1 }}
- name: tmp
  emptyDir: {}
{{- end -}}

{{- define "aggpay.volumeMounts" -}}
- name: config
  mountPath: /etc/aggpay
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "aggpay.containerSecurity" -}}
{{- with .Values.securityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
