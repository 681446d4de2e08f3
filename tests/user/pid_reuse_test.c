/*
 * Issue 12 item 4 (run as init): a pid is never reused while anything can
 * still name it.
 *  - Managing: a parent starts a child and ends; an unrelated attacker
 *    churns processes until one takes the dead parent's table slot, then
 *    tries to read and kill the orphan. It must get nothing; the orphan
 *    has been handed to init, which can end it.
 *  - Identity: a client stores a secret at a server and ends; the test
 *    steers the process table so that an attacker is started in the dead
 *    client's slot. The server must not take it for the client.
 */
#include "check.h"
#include "sec.h"

static void manage(void)
{
	int status = -1, state;
	long parent, orphan, attacker;
	uint64_t out[1];

	parent = sec_spawn("orphaner", K42_PRIO_GENERAL, 0, 0, 0);
	EXPECT(parent > 0, "orphaner: %ld", parent);
	state = k42_wait((uint64_t)parent, &status);
	orphan = status;
	EXPECT(state == K42_PROC_EXITED && orphan > 0, "orphaner: state %d status %d", state, status);
	k42_thread_sleep_us(2000);	/* the parent's memory is reclaimed */

	attacker = sec_spawn("manage", K42_PRIO_GENERAL, (uint64_t)parent, (uint64_t)orphan, 0);
	EXPECT(attacker > 0, "attacker: %ld", attacker);
	state = k42_wait((uint64_t)attacker, &status);
	k42_printf("pid_reuse_test: parent %ld, orphan %ld, attacker result %#x\n", parent, orphan,
		   status);
	EXPECT(state == K42_PROC_EXITED && (status & 0x40), "attacker never reached the slot: %#x",
	       status);
	EXPECT(!(status & 1), "the dead parent's pid %ld was handed out again", parent);
	EXPECT(!(status & 2), "attacker read the orphan's memory");
	EXPECT(!(status & 4), "attacker killed the orphan");
	/* The orphan lives on, now init's: init sees it and can end it. */
	EXPECT(k42_sc_proc_status((uint64_t)orphan, out) == K42_PROC_RUNNING,
	       "orphan %ld not running for init", orphan);
	EXPECT(k42_sc_proc_kill((uint64_t)orphan) == 0, "init cannot kill the orphan");
	EXPECT(k42_sc_proc_status((uint64_t)orphan, out) == K42_PROC_KILLED, "orphan not ended");
}

static void identity(void)
{
	const uint64_t secret = 0x5ec2e7c0ffee;
	int status = -1, state;
	long server, client, attacker;

	server = sec_spawn("id_server", K42_PRIO_GENERAL, 0, 0, 0);
	EXPECT(server > 0, "id_server: %ld", server);
	k42_thread_sleep_us(2000);
	client = sec_spawn("id_client", K42_PRIO_GENERAL, (uint64_t)server, secret, 0);
	EXPECT(client > 0, "id_client: %ld", client);
	state = k42_wait((uint64_t)client, &status);
	EXPECT(state == K42_PROC_EXITED && status == 0, "client: state %d status %d", state, status);
	k42_thread_sleep_us(2000);

	/* The next process created lands in the dead client's slot. */
	EXPECT(churn_before_slot((uint64_t)client) == 0, "could not steer to the client's slot");
	attacker = sec_spawn("id_attacker", K42_PRIO_GENERAL, (uint64_t)server, secret, 0);
	EXPECT(attacker > 0, "attacker: %ld", attacker);
	k42_printf("pid_reuse_test: client %ld, attacker %ld\n", client, attacker);
	EXPECT(((uint64_t)attacker & K42_PID_SLOT_MASK) == ((uint64_t)client & K42_PID_SLOT_MASK),
	       "attacker %ld did not land in the client's slot (client %ld)", attacker, client);
	EXPECT(attacker != client, "the dead client's pid %ld was handed out again", client);
	state = k42_wait((uint64_t)attacker, &status);
	EXPECT(state == K42_PROC_EXITED && status == 0, "the server handed the attacker the secret");
	k42_sc_proc_kill((uint64_t)server);
}

int main(uint64_t arg)
{
	(void)arg;
	manage();
	identity();
	return verdict("pid_reuse_test");
}
