# State addresses from before modules/stack existed (the modules were called from this root):
# Terraform moves them on the next plan instead of destroying and recreating the environment.
# Remove these blocks once every copy of the state (dev, prod) has been applied with them.

moved {
  from = module.network
  to   = module.stack.module.network
}

moved {
  from = module.ecr
  to   = module.stack.module.ecr
}

moved {
  from = module.iam_github
  to   = module.stack.module.iam_github
}

moved {
  from = module.eks
  to   = module.stack.module.eks
}

moved {
  from = module.backup_bucket
  to   = module.stack.module.backup_bucket
}

moved {
  from = module.workload_identities
  to   = module.stack.module.workload_identities
}

moved {
  from = module.addons
  to   = module.stack.module.addons
}

moved {
  from = module.alarms
  to   = module.stack.module.alarms
}
