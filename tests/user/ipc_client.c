/*
 * Helper client for ipc_test: one HOLD call to ipc_server. arg = the
 * server's pid | token << 32 | mode << 48. Mode 0: exit 0 if the answer
 * is right (w0 = token * 7 + 1, w1 = our pid) and print the answer order;
 * mode 1: exit 0 if the call ends with -K42_EDEAD (the server was killed);
 * mode 2: the call is never expected to end (we are killed in it).
 */
#include <k42/k42.h>

#define IFACE 0x1c9

int main(uint64_t arg)
{
	uint64_t server = arg & 0xffffffffu, token = (arg >> 32) & 0xffff, mode = arg >> 48;
	struct k42_ipc_msg m = { k42_ipc_op(IFACE, 1, 1, 0, 0), { token, 0, 0, 0, 0, 0 }, 0, 0 };
	long rc = k42_call(server, &m, 1);

	if (mode == 1)
		return rc == -K42_EDEAD ? 0 : 1;
	if (mode == 2)
		return 3;	/* should not get here */
	if (rc != 0 || m.w[0] != token * 7 + 1 || m.w[1] != k42_info(K42_INFO_PID))
		return 2;
	return (int)(10 + m.w[2]);	/* 10 + the order it was answered in */
}
