// Runtime selection of the kernel tier: detected once (CPUID for the instruction sets, XGETBV for
// the register state the OS saves on a context switch), capped by WIRTINGER_ISA, changeable by tests.
#include "kernels_dispatch.h"
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

static _Atomic int active_isa = -1;
static _Atomic int hardware_isa = -1;
static _Atomic int allowed_isa = -1;

#if defined(__x86_64__) || defined(__i386__)
static unsigned long long read_xcr0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static wt_isa probe_x86(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return WT_ISA_PORTABLE;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx || !fma) return WT_ISA_PORTABLE;
    unsigned long long xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return WT_ISA_PORTABLE;              // XMM and YMM state
    if (__get_cpuid_max(0, 0) < 7) return WT_ISA_PORTABLE;
    __cpuid_count(7, 0, a, b, c, d);
    if (!((b >> 5) & 1)) return WT_ISA_PORTABLE;                    // AVX2
    int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);  // F DQ BW VL
    if (avx512 && (xcr0 & 0xE6) == 0xE6) return WT_ISA_AVX512;     // + opmask, ZMM_Hi256, Hi16_ZMM
    return WT_ISA_AVX2_FMA;
}
#endif

wt_isa wt_hardware_isa(void) {
    int isa = atomic_load_explicit(&hardware_isa, memory_order_relaxed);
    if (isa < 0) {
#if defined(__x86_64__) || defined(__i386__)
        isa = (int)probe_x86();
#else
        isa = WT_ISA_PORTABLE;
#endif
        atomic_store_explicit(&hardware_isa, isa, memory_order_relaxed);
    }
    return (wt_isa)isa;
}

const char *wt_isa_name(wt_isa isa) {
    switch (isa) {
    case WT_ISA_AVX2_FMA: return "avx2";
    case WT_ISA_AVX512: return "avx512";
    default: return "portable";
    }
}

wt_isa wt_detected_isa(void) {
    int isa = atomic_load_explicit(&allowed_isa, memory_order_relaxed);
    if (isa < 0) {
        isa = (int)wt_hardware_isa();
        const char *cap = getenv("WIRTINGER_ISA");
        if (cap && *cap) {
            int wanted = -1;
            for (int t = WT_ISA_PORTABLE; t <= WT_ISA_AVX512; t++)
                if (strcasecmp(cap, wt_isa_name((wt_isa)t)) == 0) wanted = t;  // AVX2 as well as avx2
            if (wanted < 0)
                fprintf(stderr, "wirtinger: WIRTINGER_ISA=%s is not one of portable, avx2, avx512; ignored\n", cap);
            else if (wanted < isa)
                isa = wanted;
            else if (wanted > isa)  // a cap, not a request: say that the hardware's tier is used
                fprintf(stderr, "wirtinger: WIRTINGER_ISA=%s is above this CPU's best tier; the kernels use %s\n",
                        cap, wt_isa_name((wt_isa)isa));
        }
        atomic_store_explicit(&allowed_isa, isa, memory_order_relaxed);
    }
    return (wt_isa)isa;
}

wt_isa wt_active_isa(void) {
    int isa = atomic_load_explicit(&active_isa, memory_order_relaxed);
    if (isa < 0) {
        isa = (int)wt_detected_isa();
        atomic_store_explicit(&active_isa, isa, memory_order_relaxed);
    }
    return (wt_isa)isa;
}

wt_isa wt_set_isa(wt_isa isa) {
    int allowed = (int)wt_detected_isa();
    int t = (int)isa < WT_ISA_PORTABLE ? WT_ISA_PORTABLE : (int)isa;
    if (t > allowed) t = allowed;
    atomic_store_explicit(&active_isa, t, memory_order_relaxed);
    return (wt_isa)t;
}

// ---------------------------------------------------------------------------------------------
// CPU model string

static char cpu_model[128];
static pthread_once_t cpu_model_once = PTHREAD_ONCE_INIT;

static void trim_into(char *dst, size_t cap, const char *src) {
    while (*src && isspace((unsigned char)*src)) src++;
    size_t n = strlen(src);
    while (n > 0 && isspace((unsigned char)src[n - 1])) n--;
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void read_cpu_model(void) {
    char found[128] = "";
#if defined(__x86_64__) || defined(__i386__)
    unsigned regs[12];
    if (__get_cpuid_max(0x80000000u, 0) >= 0x80000004u) {
        for (unsigned leaf = 0; leaf < 3; leaf++)
            __cpuid(0x80000002u + leaf, regs[4 * leaf], regs[4 * leaf + 1], regs[4 * leaf + 2], regs[4 * leaf + 3]);
        char brand[49];
        memcpy(brand, regs, 48);
        brand[48] = 0;
        trim_into(found, sizeof found, brand);
    }
#endif
    if (!found[0]) {
        FILE *f = fopen("/proc/cpuinfo", "r");
        if (f) {
            char line[256];
            while (fgets(line, sizeof line, f)) {
                if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
                    trim_into(found, sizeof found, strchr(line, ':') + 1);
                    break;
                }
            }
            fclose(f);
        }
    }
    if (!found[0]) strcpy(found, "unknown");
    memcpy(cpu_model, found, sizeof cpu_model);
}

const char *wt_cpu_model(void) {
    pthread_once(&cpu_model_once, read_cpu_model);
    return cpu_model;
}

// ---------------------------------------------------------------------------------------------
// Kernel families and the highest tier each has code for.

static const struct { const char *name; wt_isa top; } families[] = {
    {"gemm", WT_ISA_AVX512},
    {"gemm_skinny", WT_ISA_AVX512},
    {"vmath", WT_ISA_AVX512},
    {"ei", WT_ISA_AVX512},
    {"kl_f32", WT_ISA_AVX512},
    {"kl_f64", WT_ISA_AVX512},
    {"reparam", WT_ISA_AVX512},
    {"random", WT_ISA_AVX512},
    {"im2col", WT_ISA_AVX512},
    {"pool", WT_ISA_AVX512},
    {"optim", WT_ISA_AVX512},
    {"sparse", WT_ISA_AVX512},
    {"sparse_spmm", WT_ISA_AVX512},
    {"complex", WT_ISA_AVX512},
    {"scan", WT_ISA_AVX512},
    {"signal", WT_ISA_AVX512},
    {"cplx_passes", WT_ISA_AVX512},
};

int wt_kernel_family_count(void) { return (int)(sizeof families / sizeof families[0]); }

const char *wt_kernel_family_name(int i) {
    return i >= 0 && i < wt_kernel_family_count() ? families[i].name : "";
}

wt_isa wt_kernel_family_isa(int i) {
    if (i < 0 || i >= wt_kernel_family_count()) return WT_ISA_PORTABLE;
    wt_isa active = wt_active_isa();
    return active < families[i].top ? active : families[i].top;
}
