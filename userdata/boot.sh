# Boot user data of batch-registry-gateway, rendered by lib/rollout/user-data.ts, which puts the
# "#!/bin/bash" line in front (jest strips a leading "#!" line from every file it loads).
# Reads one pinned version of the registry secret and writes the ECS agent's private registry
# auth data (ECS_ENGINE_AUTH_TYPE / ECS_ENGINE_AUTH_DATA) into ecs.config. It prints no secret
# value, needs no Docker daemon and restarts no agent: on the ECS-optimised AMIs the agent
# starts after cloud-init's user data scripts and reads ecs.config then.
set -euo pipefail
umask 077

SECRET_ARN='@@SECRET_ARN@@'
SECRET_VERSION_ID='@@SECRET_VERSION_ID@@'
SECRET_VERSION_STAGE='@@SECRET_VERSION_STAGE@@'

# Test seams: unset on an instance, so the production values apply.
IMDS_ENDPOINT="${BRG_IMDS_ENDPOINT:-http://169.254.169.254}"
ECS_CONFIG_FILE="${BRG_ECS_CONFIG_FILE:-/etc/ecs/ecs.config}"
SECRETS_MANAGER_ENDPOINT_URL="${BRG_SECRETS_MANAGER_ENDPOINT_URL:-}"

log() { printf 'registry-auth: %s\n' "$*"; }
die() {
  printf 'registry-auth: error: %s\n' "$*" >&2
  exit 1
}

# Defence in depth: the renderer already checked these shapes.
arn_pattern='^arn:aws(-[a-z]+)*:secretsmanager:[a-z]+(-[a-z]+)*-[0-9]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$'
[[ $SECRET_ARN =~ $arn_pattern ]] || die "the secret ARN in this user data is not a full Secrets Manager ARN"
if [[ -n $SECRET_VERSION_ID ]]; then
  [[ $SECRET_VERSION_ID =~ ^[A-Za-z0-9-]{32,64}$ ]] || die "the secret version id in this user data is malformed"
  version_args=(--version-id "$SECRET_VERSION_ID")
  version_label="version $SECRET_VERSION_ID"
elif [[ $SECRET_VERSION_STAGE == AWSCURRENT ]]; then
  version_args=(--version-stage AWSCURRENT)
  version_label="stage AWSCURRENT"
else
  die "this user data names neither a secret version id nor the AWSCURRENT stage"
fi

# Installs a missing tool (ECS-optimised AL2023: dnf; AL2: yum); does nothing when it is present.
ensure_tool() {
  local tool=$1 dnf_package=$2 yum_package=$3
  command -v "$tool" >/dev/null 2>&1 && return 0
  if command -v dnf >/dev/null 2>&1; then
    log "$tool is missing: installing $dnf_package with dnf"
    dnf install -y -q "$dnf_package" >&2 || die "$tool is missing and dnf could not install $dnf_package"
  elif command -v yum >/dev/null 2>&1; then
    log "$tool is missing: installing $yum_package with yum"
    yum install -y -q "$yum_package" >&2 || die "$tool is missing and yum could not install $yum_package"
  else
    die "$tool is missing and neither dnf nor yum is available to install it"
  fi
  hash -r
  command -v "$tool" >/dev/null 2>&1 || die "$tool is still missing after installing it"
}
command -v curl >/dev/null 2>&1 || die "curl is missing"
ensure_tool jq jq jq
ensure_tool aws awscli-2 awscli

# IMDSv2: a session token first; the token goes to curl on stdin, not on its command line.
curl_options=(-fsS --connect-timeout 2 --max-time 10 --retry 3 --retry-connrefused --retry-delay 1)
imds_token=$(curl "${curl_options[@]}" -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \
  "$IMDS_ENDPOINT/latest/api/token") || die "could not get an IMDSv2 token from the instance metadata service"
region=$(printf 'X-aws-ec2-metadata-token: %s\n' "$imds_token" |
  curl "${curl_options[@]}" -H @- "$IMDS_ENDPOINT/latest/meta-data/placement/region") ||
  die "could not read the region from the instance metadata service"
unset imds_token
[[ $region =~ ^[a-z]+(-[a-z]+)*-[0-9]+$ ]] || die "the instance metadata service returned a malformed region"

endpoint_args=()
if [[ -n $SECRETS_MANAGER_ENDPOINT_URL ]]; then
  endpoint_args=(--endpoint-url "$SECRETS_MANAGER_ENDPOINT_URL")
fi
# "${a[@]+...}" keeps an empty array safe under `set -u` on AL2's bash 4.2.
# The version id comes back with the value (a tab between them), so the stage form learns V too.
read_secret() {
  AWS_PAGER='' aws secretsmanager get-secret-value --secret-id "$SECRET_ARN" "$@" \
    --region "$region" ${endpoint_args[@]+"${endpoint_args[@]}"} --query '[VersionId,SecretString]' --output text
}
# The instance role may read only the versions staged AWSCURRENT or AWSPENDING (its IAM policy's
# secretsmanager:VersionStage condition), so the pinned version is asked for with a stage: the one
# it carries, AWSCURRENT, or AWSPENDING while the rotation that published it finishes. A pinned
# version that has moved on since (this instance booted from an older launch template version)
# gives way to AWSCURRENT: newer credentials, never older ones.
if [[ -n $SECRET_VERSION_ID ]]; then
  secret_string=$(read_secret "${version_args[@]}" --version-stage AWSCURRENT 2>/dev/null) ||
    secret_string=$(read_secret "${version_args[@]}" --version-stage AWSPENDING 2>/dev/null) ||
    {
      log "version $SECRET_VERSION_ID is neither AWSCURRENT nor AWSPENDING: reading AWSCURRENT instead"
      version_label="stage AWSCURRENT (pinned $version_label has moved on)"
      secret_string=$(read_secret --version-stage AWSCURRENT)
    } ||
    die "could not read secret $SECRET_ARN $version_label (the AWS CLI error above says why)"
else
  secret_string=$(read_secret "${version_args[@]}") ||
    die "could not read secret $SECRET_ARN $version_label (the AWS CLI error above says why)"
fi
loaded_version_id=${secret_string%%$'\t'*}
secret_string=${secret_string#*$'\t'}

# Validates the secret (SPEC section 3, either form) and builds the agent's `docker` auth data. Every
# failure is an error object caught below, so no jq message (which may quote input) escapes.
# Registry names are normalised as lib/registry/registry-name.ts does: every Docker Hub name is
# keyed https://index.docker.io/v1/, any other registry by its lowercase host[:port].
read -r -d '' auth_program <<'JQ' || true
def fail($rule): error({registry_auth_rule: $rule});
def trimmed: sub("^\\s+"; "") | sub("\\s+$"; "");
def host_problem:
  [capture("^(?<host>\\[[^\\]]*\\]|[^:]*)(?::(?<port>[0-9]+))?$")] as $found
  | if ($found | length) == 0 then "is not a host or host:port"
    else $found[0] as $m
    | if $m.port != null and (($m.port | tonumber) < 1 or ($m.port | tonumber) > 65535) then "has a port outside 1-65535"
      elif ($m.host | startswith("[")) then
        (if ($m.host | test("^\\[[0-9a-f:.]+\\]$")) then null else "has an invalid IPv6 address" end)
      elif ($m.host | length) == 0 then "has an empty host"
      elif ($m.host | length) > 253 then "has a host name longer than 253 characters"
      elif ($m.host | split(".") | all(length <= 63 and test("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")) | not) then
        "has a host name with characters outside a-z, 0-9, \"-\" and \".\""
      else null end
    end;
def auth_key($where):
  if type != "string" then fail("\($where) must be a string")
  else trimmed as $raw
  | if ($raw | length) == 0 then fail("\($where) is empty")
    elif ($raw | length) > 2048 then fail("\($where) is longer than 2048 characters")
    elif ($raw | test("[[:cntrl:]\\s]")) then fail("\($where) contains whitespace or control characters")
    else ([$raw | capture("^(?<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?<rest>.*)$")] | .[0]) as $s
    | (if $s == null then $raw
       elif ($s.scheme | ascii_downcase) == "https" or ($s.scheme | ascii_downcase) == "http" then $s.rest
       else fail("\($where) must use https:// or http://") end) as $rest
    | if ($rest | test("[@?#]")) then fail("\($where) must not contain user info, a query or a fragment")
      else ($rest | capture("^(?<hostport>[^/]*)(?<path>.*)$")) as $p
      | ($p.hostport | ascii_downcase) as $hostport
      | if ($p.path | test("^(/|/v[12]/?)?$") | not) then fail("\($where) must not have a path other than /v1/ or /v2/")
        elif ($hostport | host_problem) != null then fail("\($where) \($hostport | host_problem)")
        elif $hostport == "docker.io" or $hostport == "index.docker.io" or $hostport == "registry-1.docker.io" then
          "https://index.docker.io/v1/"
        else $hostport end
      end
    end
  end;
def credential($where; $key):
  if (.username | type) != "string" or (.username | length) == 0 then fail("\($where)username must be a non-empty string")
  elif (.password | type) != "string" or (.password | length) == 0 then fail("\($where)password must be a non-empty string")
  else {key: $key, username: .username, password: .password} end;
def credentials:
  if type != "object" then fail("the secret value must be a JSON object")
  elif has("registries") then
    .registries as $list
    | if ($list | type) != "array" then fail("registries must be an array")
      elif ($list | length) == 0 then fail("registries must name at least one registry")
      else [range(0; $list | length) as $i | "registries[\($i)]" as $where | $list[$i]
        | if type != "object" then fail("\($where) must be an object")
          elif .registry_url == null then fail("\($where).registry_url is missing")
          else credential("\($where)."; .registry_url | auth_key("\($where).registry_url")) end]
      end
  elif .registry_url == null then [credential(""; "https://index.docker.io/v1/")]
  else [credential(""; .registry_url | auth_key("registry_url"))]
  end;
def unique_registries:
  . as $list
  | reduce range(0; $list | length) as $i ({};
      if has($list[$i].key) then fail("registries[\(.[$list[$i].key])] and registries[\($i)] name the same registry")
      else .[$list[$i].key] = $i end)
  | $list;
try (
  # Collected in an array: jq 1.5/1.6 would otherwise send later errors to this inner catch.
  [try fromjson catch fail("the secret value is not valid JSON")] | .[0]
  | credentials | unique_registries
  | "ok " + (map({(.key): {username, password, email: ""}}) | add | tojson)
) catch (
  if type == "object" then
    (if (.registry_auth_rule | type) == "string" then "invalid " + .registry_auth_rule
     else "invalid the secret value could not be processed" end)
  else "invalid the secret value could not be processed" end
)
JQ
auth_result=$(printf '%s' "$secret_string" | jq -R -s -r "$auth_program" 2>/dev/null) ||
  die "jq could not process secret $SECRET_ARN $version_label"
# http:// registries, one a line, for the Docker block at the end.
http_registries=$(printf '%s' "$secret_string" | jq -R -s -r '[fromjson?|objects|(.registries//[.])|arrays|.[]|objects
  |.registry_url|strings|ascii_downcase|sub("^\\s+";"")|select(startswith("http://"))|.[7:]|sub("/.*";"")]|unique[]' 2>/dev/null) || http_registries=''
unset secret_string
case $auth_result in
ok\ *) auth_data=${auth_result#ok } ;;
invalid\ *) die "secret $SECRET_ARN $version_label is invalid: ${auth_result#invalid }" ;;
*) die "jq gave an unexpected result for secret $SECRET_ARN $version_label" ;;
esac
unset auth_result
registry_keys=$(printf '%s' "$auth_data" | jq -r 'keys | join(" ")') || die "jq could not list the registries of secret $SECRET_ARN $version_label"

# SPEC section 12: record V as the ECS instance attribute batch-registry-gateway.secret-version,
# merged into the one ECS_INSTANCE_ATTRIBUTES line (JSON; later lines win, as in the agent).
record_secret_version_attribute() {
  local f=$1 m
  m=$(awk 'sub(/^[[:space:]]*ECS_INSTANCE_ATTRIBUTES=/,"")' "$f" | jq -Rsr --arg v "$2" '
    [split("\n")[]|select(test("\\S"))|try fromjson catch 0]
    | if any(type!="object" or any(.[];type!="string")) then "bad"
      else (add//{})+{"batch-registry-gateway.secret-version":$v}
      | if length>10 then "full" else "ok "+tojson end end' 2>/dev/null) || m=bad
  case $m in
  ok\ *) ;;
  full) die "ECS allows at most 10 custom attributes: ECS_INSTANCE_ATTRIBUTES in $ECS_CONFIG_FILE already has 10, no room for batch-registry-gateway.secret-version" ;;
  *) die "ECS_INSTANCE_ATTRIBUTES in $ECS_CONFIG_FILE is not a JSON object of strings" ;;
  esac
  { awk '!/^[[:space:]]*ECS_INSTANCE_ATTRIBUTES=/' "$f" && echo "ECS_INSTANCE_ATTRIBUTES=${m#ok }"; } >"$f.a" &&
    mv -f "$f.a" "$f" || { rm -f "$f.a"; die "could not write $f"; }
}

# Keep every other setting, drop earlier auth lines (the agent reads the file line by line,
# splitting at the first "="), write to a temp file in the same directory and rename it.
config_dir=$(dirname "$ECS_CONFIG_FILE") || die "could not find the directory of $ECS_CONFIG_FILE"
mkdir -p "$config_dir" || die "could not create $config_dir"
temp_file=$(mktemp "$config_dir/.ecs.config.XXXXXX") || die "could not create a temporary file in $config_dir"
trap 'rm -f "$temp_file"' EXIT
if [[ -e $ECS_CONFIG_FILE ]]; then
  awk '!/^[[:space:]]*ECS_ENGINE_AUTH_(TYPE|DATA)=/' "$ECS_CONFIG_FILE" >"$temp_file" ||
    die "could not read $ECS_CONFIG_FILE"
fi
printf 'ECS_ENGINE_AUTH_TYPE=docker\nECS_ENGINE_AUTH_DATA=%s\n' "$auth_data" >>"$temp_file" ||
  die "could not write $temp_file"
unset auth_data
record_secret_version_attribute "$temp_file" "$loaded_version_id"
chmod 600 "$temp_file"
mv -f "$temp_file" "$ECS_CONFIG_FILE" || die "could not replace $ECS_CONFIG_FILE"
trap - EXIT
log "wrote ECS agent auth data for: $registry_keys (secret $SECRET_ARN $version_label) to $ECS_CONFIG_FILE"

# ---- Docker pulls over HTTP only from 127.0.0.0/8 and insecure-registries: merged into
# daemon.json (idempotent); SIGHUP makes a running dockerd reload it, with no restart.
daemon_json="${BRG_DOCKER_DAEMON_CONFIG:-/etc/docker/daemon.json}"
insecure_registries() {
  local cur='{}' new pid
  [[ -n $1 ]] || return 0
  [[ -s $daemon_json ]] && { cur=$(jq . "$daemon_json" 2>/dev/null) || die "$daemon_json is not JSON"; }
  new=$(jq --arg h "$1" '(.["insecure-registries"]//[]) as $o|.["insecure-registries"]=$o+(($h|split("\n"))-$o)' <<<"$cur" 2>/dev/null) ||
    die "$daemon_json: insecure-registries is not an array"
  [[ $new == "$cur" ]] && return 0
  { mkdir -p "${daemon_json%/*}" && printf '%s\n' "$new" >"$daemon_json.new" && chmod 644 "$daemon_json.new" &&
    mv -f "$daemon_json.new" "$daemon_json"; } || die "could not write $daemon_json"
  log "insecure-registries: ${1//$'\n'/ }"
  pid=$(cat "${BRG_DOCKER_PID_FILE:-/var/run/docker.pid}" 2>/dev/null) && kill -0 "$pid" 2>/dev/null &&
    { kill -HUP "$pid" || die "could not signal dockerd"; log "dockerd ($pid) reloads daemon.json"; }
  return 0
}
insecure_registries "$http_registries"
