/* zdtm_nolibc: no libc, no TLS, raw syscalls. Counts to a large number with pauses, keeping
 * state in .bss, .data and on the stack; exits 0 if all agree at the end. */
typedef unsigned long u64;

static long sys(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

static u64 bss_counter;
static u64 data_counter = 1000;

void __attribute__((noreturn)) start_c(void) {
  volatile u64 stack_counter = 0;
  struct { long s, ns; } ts = {0, 2000000};  /* 2 ms */
  sys(1, 1, (long)"ready\n", 6);
  for (int i = 0; i < 400; i++) {
    bss_counter++;
    data_counter++;
    stack_counter++;
    sys(35, (long)&ts, 0, 0);  /* nanosleep */
  }
  int ok = bss_counter == 400 && data_counter == 1400 && stack_counter == 400;
  sys(1, 1, ok ? (long)"done ok\n" : (long)"done FAIL\n", ok ? 8 : 10);
  sys(231, ok ? 0 : 1, 0, 0);  /* exit_group */
  for (;;) {}
}

__asm__(".globl _start\n_start:\n  and $-16, %rsp\n  call start_c\n");
