#include "cli/app.h"

int main(int argc, char** argv) { return vivarium::cli::run_main(argc, argv); }
