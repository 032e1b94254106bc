package dev.banger.fcstub;

/** What stands behind InstanceStart. */
public enum GuestMode {
    /** No guest: the state becomes "Running"; SendCtrlAltDel ends the stub ~100 ms later, as a guest reset would. */
    NONE,
    /** QEMU (TCG) boots the configured kernel, drives and tap; the stub exits when QEMU does. */
    QEMU
}
