/*
 * Where pagein_child waits for its parent's word that the page it reads
 * is mapped (the parent retries its mem_write until the child has mapped
 * this page).
 */
#ifndef PAGEIN_CHILD_H
#define PAGEIN_CHILD_H

#define PAGEIN_GO_VA 0x51000000ul

#endif
