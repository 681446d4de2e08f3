/*
 * What sched_storm_test and its workers share: where a worker counts the
 * wake-ups it took, and how many it takes before it exits.
 */
#ifndef SCHED_STORM_H
#define SCHED_STORM_H

#define SCHED_STORM_VA    0x52000000ul
#define SCHED_STORM_WAKES 300

#endif
