#!/usr/bin/env bash
# Create on Azure what the app needs, in order, with the Azure CLI: a resource group, a Static Web App on the Free
# plan, its app setting ABLY_API_KEY, and the deployment token as your GitHub copy's Actions secret. Safe to run
# again: it skips what exists. `scripts/deploy_azure.sh --help` says more; docs/deploy.md has every step by hand.
# It runs nothing but bash builtins, az, gh and (to check the key) the project's .venv, so that the tests can put
# recording fakes of az and gh first on the PATH.
set -euo pipefail

RG=${RG:-p2p-demo}
APP=${APP:-p2p-demo}
LOCATION=${LOCATION:-westeurope}
GITHUB_REPO=${GITHUB_REPO:-}
SECRET=AZURE_STATIC_WEB_APPS_API_TOKEN
STEPS=6

usage() {
  printf '%s\n' "Usage: scripts/deploy_azure.sh        (after: read -rs ABLY_API_KEY; export ABLY_API_KEY)

Creates with the Azure CLI (az) what the app needs on Azure, in order, skipping what exists:
  1. checks that az is installed and signed in (az login)
  2. the resource group \$RG in \$LOCATION
  3. the Static Web App \$APP in it, on the Free plan
  4. its app setting ABLY_API_KEY, from your environment (handed to az on its standard input, so the key is in
     no command line and no shell history)
  5. reads the deployment token and stores it as the Actions secret $SECRET of your GitHub copy
     with the GitHub CLI (gh) when gh is installed and signed in, else prints how to store it
  6. prints the site's URL
Then push to main of your copy: its workflow runs the tests, then deploys (docs/deploy.md has every step).

Settings, from the environment:
  ABLY_API_KEY  required: your Ably API key (appId.keyId:secret), with publish, subscribe, presence and history on p2p:*
  RG            resource group (now: $RG)
  APP           Static Web App, unique in its resource group (now: $APP)
  LOCATION      region of both (now: $LOCATION): one where Static Web Apps run, e.g. westeurope, westus2, eastasia
  GITHUB_REPO   your copy on GitHub as OWNER/NAME, for gh (default: the one gh finds from this clone)"
}

case "${1:-}" in
  "") ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

step=0
step_name=""
begin() {
  step=$((step + 1))
  step_name=$1
  printf 'deploy_azure: [%d/%d] %s\n' "$step" "$STEPS" "$step_name"
}
# One line naming the step that failed and what to do; az's own message is printed above it.
fail() {
  printf 'deploy_azure: step %d/%d failed (%s): %s\n' "$step" "$STEPS" "$step_name" "$1" >&2
  exit 1
}

if [ -z "${ABLY_API_KEY:-}" ]; then
  printf '%s\n' "deploy_azure: ABLY_API_KEY is not set: run  read -rs ABLY_API_KEY; export ABLY_API_KEY  (paste the key from your Ably dashboard, then Enter), then run this again" >&2
  exit 2
fi
key=$ABLY_API_KEY
# No child process gets the key in its environment: only az's standard input, once.
export -n ABLY_API_KEY

# The API's own check of the key's shape (api/settings.py), when the project's .venv is there to run it.
case "${BASH_SOURCE[0]}" in
  */*) root=${BASH_SOURCE[0]%/*}/.. ;;
  *) root=.. ;;
esac
if [ -x "$root/.venv/bin/python" ]; then
  checked=0
  (cd "$root" && ABLY_API_KEY=$key .venv/bin/python -c '
import sys
from api.errors import ApiError
from api.settings import api_key
try:
    api_key()
except ApiError:
    sys.exit(3)
' 2>/dev/null) || checked=$?
  if [ "$checked" = 3 ]; then
    printf '%s\n' "deploy_azure: ABLY_API_KEY is not an Ably API key of the form appId.keyId:secret: copy the whole key from your Ably dashboard (API Keys)" >&2
    exit 2
  fi
fi

begin "check that the Azure CLI is installed and signed in"
command -v az >/dev/null || fail "az is not installed: install the Azure CLI (https://learn.microsoft.com/cli/azure/install-azure-cli), then run this again"
subscription=$(az account show --query name --output tsv) ||
  fail "sign in with  az login  (then  az account set --subscription NAME  if you have several subscriptions)"
printf 'deploy_azure: subscription %s\n' "$subscription"

begin "create the resource group $RG in $LOCATION"
az group create --name "$RG" --location "$LOCATION" --output none ||
  fail "see az's message above: a group that exists keeps its region (set LOCATION to it, or RG to a new name); az account list-locations --output table lists the regions"

begin "create the Static Web App $APP on the Free plan"
if az staticwebapp show --name "$APP" --resource-group "$RG" --output none 2>/dev/null; then
  printf 'deploy_azure: %s exists; kept as it is\n' "$APP"
else
  az staticwebapp create --name "$APP" --resource-group "$RG" --location "$LOCATION" --sku Free --output none ||
    fail "see az's message above: choose a region where Static Web Apps run (LOCATION=westeurope, westus2, centralus, eastus2 or eastasia); on a new subscription run  az provider register --namespace Microsoft.Web  first"
fi

begin "set the app setting ABLY_API_KEY"
# @- makes az read the value from its standard input; --output none keeps it from printing the settings back.
printf '%s' "$key" | az staticwebapp appsettings set --name "$APP" --resource-group "$RG" --setting-names ABLY_API_KEY=@- --output none ||
  fail "see az's message above; then run this again (the steps before are kept)"

begin "store the deployment token as the GitHub secret $SECRET"
token=$(az staticwebapp secrets list --name "$APP" --resource-group "$RG" --query properties.apiKey --output tsv) ||
  fail "could not read the deployment token: see az's message above"
[ -n "$token" ] || fail "az returned no deployment token: run this again in a minute"
if command -v gh >/dev/null && gh auth status >/dev/null 2>&1; then
  repo_option=()
  [ -z "$GITHUB_REPO" ] || repo_option=(--repo "$GITHUB_REPO")
  # ${a[@]+...}: bash 3.2 (macOS) calls an empty array unbound under set -u.
  printf '%s' "$token" | gh secret set "$SECRET" ${repo_option[@]+"${repo_option[@]}"} ||
    fail "gh could not set the secret: run this from a clone of your own copy, or set GITHUB_REPO=OWNER/NAME (gh repo set-default picks one)"
  printf 'deploy_azure: stored the deployment token as the Actions secret %s\n' "$SECRET"
else
  printf '%s\n' "deploy_azure: store the deployment token as your copy's Actions secret $SECRET:" \
    "  GitHub: your copy > Settings > Secrets and variables > Actions > New repository secret, with the value this prints:" \
    "  az staticwebapp secrets list --name $APP --resource-group $RG --query properties.apiKey --output tsv" \
    "  (or install the GitHub CLI, run gh auth login, and run this script again: it stores the secret itself)"
fi

begin "read the site's URL"
host=$(az staticwebapp show --name "$APP" --resource-group "$RG" --query defaultHostname --output tsv) ||
  fail "see az's message above; the app exists, so  az staticwebapp show --name $APP --resource-group $RG  shows it"
printf '%s\n' "deploy_azure: done. Your site: https://$host" \
  "Deploy it: push to main of your copy (its workflow tests, then deploys), or use the SWA CLI (docs/deploy.md)."
