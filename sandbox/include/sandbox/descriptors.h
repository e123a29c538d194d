// What a confined process holds: its channel and nothing else it inherited.
#pragma once

namespace vivarium::sandbox {

// Closes every descriptor but stdout, stderr and `keep`; stdin becomes /dev/null.
void close_inherited_descriptors(int keep);

}  // namespace vivarium::sandbox
