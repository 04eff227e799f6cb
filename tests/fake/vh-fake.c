/* vh-fake: the test bed's command — build a fake host tree, or run its fake kernel */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vh-fake-kernel.h"
#include "vh-fake-tree.h"

static int
usage(void)
{
    fprintf(stderr, "usage: vh-fake build SCENARIO ROOT   build a host tree from a scenario file\n"
                    "       vh-fake synth COUNT ROOT      build a tree of COUNT devices\n"
                    "       vh-fake kernel ROOT           mount the fake kernel over ROOT/sys\n");
    return 2;
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;

    if (argc == 4 && strcmp(argv[1], "build") == 0) {
        if (!vh_fake_tree_build_file(argv[2], argv[3], &error)) {
            fprintf(stderr, "vh-fake: %s\n", error->message);
            return 1;
        }
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "synth") == 0) {
        g_autoptr(GKeyFile) kf = vh_fake_tree_synthetic((guint)g_ascii_strtoull(argv[2], NULL, 10));

        if (!vh_fake_tree_build(kf, argv[3], &error)) {
            fprintf(stderr, "vh-fake: %s\n", error->message);
            return 1;
        }
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "kernel") == 0)
        return vh_fake_kernel_serve(argv[2]);
    return usage();
}
