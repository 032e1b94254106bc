-- V3: the VMM that runs each VM. Rows from V1/V2 were all QEMU VMs.
ALTER TABLE vms ADD COLUMN vmm TEXT NOT NULL DEFAULT 'qemu' CHECK (vmm IN ('qemu', 'firecracker'));
