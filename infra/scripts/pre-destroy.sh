#!/usr/bin/env bash
# Removes what Kubernetes created in AWS outside Terraform, so that `terraform destroy` of the
# environment leaves nothing behind and does not hang on the VPC:
#   1. Ingresses (ALBs) and Services of type LoadBalancer (NLBs), deleted through the still running
#      AWS Load Balancer Controller;
#   2. Percona's backup and restore objects, without their finalizers (the backups stay in S3), so
#      that no finalizer is left for an uninstalled operator and the namespace deletes; the MongoDB
#      replica set and every StatefulSet, then every PersistentVolumeClaim, so the EBS CSI driver
#      deletes their volumes;
#   3. waits until no load balancer, target group or ELB network interface of the cluster is left;
#   4. deletes released PersistentVolumes (reclaimPolicy Retain) and the EBS volumes the driver
#      tagged with the cluster that are still there (the Retain ones), and the controller's
#      leftover security groups.
#
# Usage: infra/scripts/pre-destroy.sh [ENV]
#   kubectl must point at the cluster (aws eks update-kubeconfig ...).
#   AWS_REGION            region of the cluster (required)
#   EKS_CLUSTER_NAME      cluster name (default orderstack-ENV)
#   PRE_DESTROY_TIMEOUT   seconds to wait for AWS to settle (default 900)
#   PRE_DESTROY_POLL      seconds between checks (default 10)
# Idempotent: running it on a half-cleaned cluster finishes the job.
set -euo pipefail

env_name=${1:-${ENV:-}}
CLUSTER=${EKS_CLUSTER_NAME:-}
if [ -z "$CLUSTER" ]; then
	[ -n "$env_name" ] || {
		echo "pre-destroy: give ENV (dev|prod) as argument or set EKS_CLUSTER_NAME" >&2
		exit 2
	}
	CLUSTER="orderstack-$env_name"
fi
: "${AWS_REGION:?pre-destroy: set AWS_REGION}"
export AWS_REGION AWS_DEFAULT_REGION=$AWS_REGION
TIMEOUT=${PRE_DESTROY_TIMEOUT:-900}
POLL=${PRE_DESTROY_POLL:-10}
DEADLINE=$((SECONDS + TIMEOUT))

log() { printf 'pre-destroy: %s\n' "$*"; }

# each_line CMD...: runs CMD with each "namespace name" line of stdin appended as two arguments.
each_line() {
	local ns name
	while read -r ns name; do
		if [ -z "$ns" ] || [ -z "$name" ]; then continue; fi
		"$@" "$ns" "$name"
	done
}

delete_ingress() {
	log "deleting Ingress $1/$2"
	kubectl delete ingress -n "$1" "$2" --ignore-not-found --wait=false
}

delete_lb_service() {
	log "deleting Service $1/$2 (type LoadBalancer)"
	kubectl delete service -n "$1" "$2" --ignore-not-found --wait=false
}

# until_gone WHAT CMD...: polls CMD until it prints nothing, or fails after the deadline.
until_gone() {
	local what=$1 left
	shift
	while :; do
		left=$("$@")
		if [ -z "$left" ] || [ "$left" = None ]; then
			log "no $what left"
			return 0
		fi
		if [ "$SECONDS" -ge "$DEADLINE" ]; then
			log "timed out after ${TIMEOUT}s; $what still present:"
			printf '%s\n' "$left" >&2
			return 1
		fi
		sleep "$POLL"
	done
}

cluster_load_balancers() {
	aws resourcegroupstaggingapi get-resources \
		--resource-type-filters elasticloadbalancing:loadbalancer elasticloadbalancing:targetgroup \
		--tag-filters "Key=elbv2.k8s.aws/cluster,Values=$CLUSTER" \
		--query 'ResourceTagMappingList[].ResourceARN' --output text
}

elb_interfaces() {
	aws ec2 describe-network-interfaces \
		--filters "Name=vpc-id,Values=$VPC_ID" "Name=description,Values=ELB *" \
		--query 'NetworkInterfaces[].NetworkInterfaceId' --output text
}

# objects KIND: "namespace name" of every object of KIND.
objects() {
	kubectl get "$1" -A -o jsonpath='{range .items[*]}{.metadata.namespace}{" "}{.metadata.name}{"\n"}{end}'
}

# unfinalize KIND NAMESPACE NAME: removes every finalizer of one object; one already gone is fine.
unfinalize() {
	local err
	if ! err=$(kubectl patch "$1" -n "$2" "$3" --type=merge -p '{"metadata":{"finalizers":null}}' 2>&1 >/dev/null); then
		case $err in
		*NotFound* | *"not found"*) ;;
		*)
			printf '%s\n' "$err" >&2
			return 1
			;;
		esac
	fi
}

unfinalize_all() { objects "$1" | each_line unfinalize "$1"; }

# unfinalized_left KIND: removes the finalizers of what is left of KIND, then prints what is still there.
unfinalized_left() {
	unfinalize_all "$1"
	objects "$1"
}

operator_running() {
	[ -n "$(kubectl get pods -A -l app.kubernetes.io/name=psmdb-operator --field-selector=status.phase=Running -o name)" ]
}

# psmdb_left: the replica sets still there; without a running operator their finalizers go too.
psmdb_left() {
	local kind=perconaservermongodbs.psmdb.percona.com left
	left=$(objects "$kind")
	[ -z "$left" ] && return 0
	if ! operator_running; then
		log "no psmdb-operator pod running: removing the replica sets' finalizers" >&2
		printf '%s\n' "$left" | each_line unfinalize "$kind"
		left=$(objects "$kind")
	fi
	printf '%s\n' "$left"
}

pvcs() { kubectl get pvc -A -o name; }

# Volumes of the cluster's PVs with reclaimPolicy Delete: the CSI driver removes them.
deleting_pvs() {
	kubectl get pv -o jsonpath='{range .items[?(@.spec.persistentVolumeReclaimPolicy=="Delete")]}{.metadata.name}{"\n"}{end}'
}

cluster_volumes() {
	aws ec2 describe-volumes --filters "Name=tag:KubernetesCluster,Values=$CLUSTER" \
		--query 'Volumes[].[VolumeId,State]' --output text
}

controller_security_groups() {
	aws ec2 describe-security-groups \
		--filters "Name=vpc-id,Values=$VPC_ID" "Name=tag:elbv2.k8s.aws/cluster,Values=$CLUSTER" \
		--query 'SecurityGroups[].GroupId' --output text
}

log "cluster $CLUSTER in $AWS_REGION"
VPC_ID=$(aws eks describe-cluster --name "$CLUSTER" --query 'cluster.resourcesVpcConfig.vpcId' --output text)
log "VPC $VPC_ID"

# 1. Load balancers: the controller deletes an ALB when its last Ingress goes.
kubectl get ingress -A -o jsonpath='{range .items[*]}{.metadata.namespace}{" "}{.metadata.name}{"\n"}{end}' | each_line delete_ingress
kubectl get service -A -o jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.namespace}{" "}{.metadata.name}{"\n"}{end}' | each_line delete_lb_service

# 2a. Percona backups and restores. A scheduled backup carries the percona.com/delete-backup
# finalizer and no owner reference; Terraform uninstalls the operator before it deletes the
# namespace, so a finalizer left on any of them keeps the namespace (and the destroy) hanging.
# Finalizers are removed before and after the delete (the operator may add percona.com/release-lock
# to a running backup meanwhile), so the operator never deletes backup data on the way out: what
# stays in S3 is the bucket's business (force_destroy in dev, kept in prod).
for kind in perconaservermongodbbackups.psmdb.percona.com perconaservermongodbrestores.psmdb.percona.com; do
	if kubectl get crd "$kind" >/dev/null 2>&1; then
		log "deleting every $kind (finalizers removed, backup data kept)"
		unfinalize_all "$kind"
		kubectl delete "$kind" --all -A --ignore-not-found --wait=false
		until_gone "$kind objects" unfinalized_left "$kind"
	fi
done

# 2b. Volumes: the replica set first (its operator finalizers clean up), then every StatefulSet and PVC.
# Operators would recreate the StatefulSets of their custom resources, so those go first.
for kind in perconaservermongodbs.psmdb.percona.com prometheuses.monitoring.coreos.com alertmanagers.monitoring.coreos.com; do
	if kubectl get crd "$kind" >/dev/null 2>&1; then
		log "deleting every $kind"
		kubectl delete "$kind" --all -A --ignore-not-found --wait=false
	fi
done
# The replica set's finalizer (delete-psmdb-pods-in-order) is the operator's to run; when no
# operator pod is running (a second `make destroy` after a half-done one), it is removed instead.
if kubectl get crd perconaservermongodbs.psmdb.percona.com >/dev/null 2>&1; then
	until_gone "perconaservermongodbs" psmdb_left
fi
log "deleting StatefulSets and PersistentVolumeClaims"
kubectl delete statefulset --all -A --ignore-not-found --wait=false
kubectl delete pvc --all -A --ignore-not-found --wait=false

# 3. Wait for AWS.
until_gone "load balancers or target groups of $CLUSTER" cluster_load_balancers
until_gone "ELB network interfaces in $VPC_ID" elb_interfaces
until_gone "PersistentVolumeClaims" pvcs
until_gone "PersistentVolumes with reclaimPolicy Delete" deleting_pvs

# 4. What Retain left behind: PV objects, then their EBS volumes; the controller's security groups.
kubectl delete pv --all --ignore-not-found --wait=false
while :; do
	pending=0
	while read -r vol state; do
		[ -n "$vol" ] || continue
		if [ "$state" = available ]; then
			log "deleting EBS volume $vol"
			aws ec2 delete-volume --volume-id "$vol"
		else
			pending=1
		fi
	done < <(cluster_volumes)
	[ "$pending" = 0 ] && break
	if [ "$SECONDS" -ge "$DEADLINE" ]; then
		log "timed out after ${TIMEOUT}s; volumes still attached:"
		cluster_volumes >&2
		exit 1
	fi
	sleep "$POLL"
done
for sg in $(controller_security_groups); do
	log "deleting security group $sg"
	aws ec2 delete-security-group --group-id "$sg"
done

log "done: nothing Kubernetes created is left in AWS for $CLUSTER"
