/*
 * Helper for proc_test: three threads that sleep, and a main thread that
 * joins them; it never calls k42_serve, so whatever answers the proc
 * interface is libk42 itself. Runs until killed.
 */
#include <k42/k42.h>

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		k42_thread_sleep_us(1000);
	return NULL;
}

int main(uint64_t arg)
{
	k42_thread_t *t[3];

	(void)arg;
	for (int i = 0; i < 3; i++)
		t[i] = k42_thread_create(sleeper, NULL);
	for (int i = 0; i < 3; i++)
		k42_thread_join(t[i], NULL);
	return 0;
}
