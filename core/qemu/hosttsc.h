#pragma once

namespace vivarium {

// The host's TSC frequency in kHz, or 0 when it is not a usable clock (no constant, non-stop
// TSC). Under TCG a guest reads the host's TSC but cannot calibrate it (no HPET or PM timer
// without ACPI), and falls back to a 4 ms jiffies clock; told the frequency on its command line
// (tsc_early_khz) it keeps exact time. Measured once per process.
int hostTscKhz();

} // namespace vivarium
