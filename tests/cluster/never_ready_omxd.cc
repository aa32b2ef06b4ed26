// Test stand-in for omxd that starts but never reports ready (cluster_failure_test.sh): ignores
// its arguments and sleeps. A binary, not a script, so the harness can start it even from a
// build tree under /tmp (which a node's private /tmp hides; see node_launch.h).
#include <unistd.h>

int main() {
  for (int i = 0; i < 60; ++i) sleep(1);  // bounded: gone after a minute whatever happens
  return 0;
}
