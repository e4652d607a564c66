locals {
  tags = {
    Project   = "orderstack"
    ManagedBy = "terraform"
    Component = "terraform-state"
  }
}
