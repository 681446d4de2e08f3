/*
 * A client of ppc_cancel_test. With arg = the server's pid it lends 8
 * bytes (writable) and makes one synchronous call the server holds, then
 * exits with the call's status negated (K42_EINTR once its wait is
 * cancelled) plus 100 if the lent bytes changed after that. With arg | 1ull << 62
 * it only tries to cancel the calls of that pid (a sibling, which it does
 * not manage) and exits with that result negated. Run from the shell as
 * `ppc_cancel_child hold` it starts its own server and waits in a call it
 * holds forever, until ^C (tests/qemu/scen_shell.py, shell/ctrl_c_call):
 * the console cancels the call and the job ends with status 130.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/startup.h>

#define IFACE 0x1cc

int main(uint64_t arg)
{
	static volatile uint64_t lent;
	struct k42_ipc_msg *m = k42_ipc_msg_get();
	long rc;

	if (k42_argc > 1 && k42_argv && strcmp(k42_argv[1], "hold") == 0) {
		long server = k42_spawn_path("tests/ppc_cancel_server", K42_PRIO_GENERAL, 0);

		if (server <= 0)
			return 3;
		m->op = k42_ipc_op(IFACE, 1, 1, 0, 0);
		k42_printf("ppc_cancel_child: in a call\n");
		rc = k42_ipc_call((uint64_t)server, m);
		k42_printf("ppc_cancel_child: the call ended: %ld\n", rc);
		/* The ^C itself (ioevent.interrupt) is taken on our way out of
		 * the call: we never get here unless it was not sent. */
		return 4;
	}
	if (arg & (1ull << 62))
		return (int)-k42_sc_ppc_cancel(arg & ~(1ull << 62));
	m->op = k42_ipc_op(IFACE, 1, 1, 0, 0);
	k42_ipc_grant((const void *)&lent, sizeof(lent), K42_PROT_WRITE);
	rc = k42_ipc_call(arg, m);
	/* The server writes into the lent bytes only after we are gone from
	 * the call: give it the chance, then look. */
	k42_thread_sleep_us(300000);
	return (int)-rc + (lent != 0 ? 100 : 0);
}
