// vivarium's boot script: evaluated once per interpreter, before any untrusted code, and
// returns a function that boots Pyodide. The native hooks it receives are captured in
// this closure and never put on globalThis.
(function (hooks) {
  "use strict";

  // Hand Pyodide the module the engine compiled (or loaded from its on-disk cache) before
  // this script ran: a marker buffer stands in for the 9.6 MB of wasm bytes that Pyodide
  // would otherwise read and hand to WebAssembly.instantiate.
  function withCachedWasm(indexURL, run) {
    const realReadbuffer = globalThis.readbuffer;
    const realInstantiate = WebAssembly.instantiate;
    const wasmPath = indexURL + "pyodide.asm.wasm";
    const markerBuffer = new ArrayBuffer(8);
    globalThis.readbuffer = function (path) {
      return path === wasmPath ? markerBuffer : realReadbuffer(path);
    };
    WebAssembly.instantiate = async function (source, imports) {
      if (source instanceof Uint8Array && source.buffer === markerBuffer) {
        const module = hooks.wasmModule;
        const instance = await realInstantiate(module, imports);
        return { instance, module };
      }
      return realInstantiate.apply(this, arguments);
    };
    const RealModule = WebAssembly.Module;
    WebAssembly.Module = modulesSharedByBytes(RealModule);
    const restore = () => {
      globalThis.readbuffer = realReadbuffer;
      WebAssembly.instantiate = realInstantiate;
      WebAssembly.Module = RealModule;
    };
    return run().then(
      (value) => {
        restore();
        return value;
      },
      (error) => {
        restore();
        throw error;
      },
    );
  }

  // While Pyodide boots, new WebAssembly.Module(bytes) of a small module returns the one
  // already compiled from the same bytes. Emscripten wraps each of the ~260 JS functions
  // whose address the wasm takes in a module of its own (convertJsFunctionToWasm), which
  // differ only by signature: 29 distinct ones. V8 compiled a TurboFan wrapper for each
  // module: 87 ms of CPU in a `vivarium run -c 'print(1)'` (perf). Shared, the run took
  // 493 ms instead of 544 (hyperfine means of 20 runs, 2 busy cores). A module is immutable, so
  // sharing one changes nothing but identity, and each instance still gets its own import.
  function modulesSharedByBytes(RealModule) {
    const compiled = new Map();
    const kMaxSharedBytes = 1024;
    const shared = new Proxy(RealModule, {
      construct(target, args, newTarget) {
        const bytes = args[0];
        if (newTarget !== shared || !(bytes instanceof Uint8Array) || bytes.length > kMaxSharedBytes)
          return Reflect.construct(target, args, newTarget === shared ? target : newTarget);
        const key = String.fromCharCode.apply(null, bytes);
        let module = compiled.get(key);
        if (!module) compiled.set(key, (module = new target(bytes)));
        return module;
      },
    });
    return shared;
  }

  // Pyodide restores a snapshot by copying its memory image into the wasm memory from a
  // JS buffer. Here Pyodide gets only the snapshot's header (to check and parse) and the
  // engine copies the image from the mapped cache file (hooks.placeSnapshot), so that the
  // 30 MB never become a JS buffer. The memory is created with the size Pyodide would give
  // it for the whole snapshot.
  function restoringSnapshotInPlace(createModule, snapshotSize) {
    return async function (settings) {
      settings.INITIAL_MEMORY = snapshotSize;
      const module = await createModule(settings);
      const restoreSnapshot = module.API.restoreSnapshot;
      module.API.restoreSnapshot = function (header) {
        const parsed = restoreSnapshot.call(this, header); // checks the header, copies nothing
        if (!hooks.placeSnapshot(module.HEAP8.buffer)) throw new Error("the memory snapshot does not fit in memory");
        return parsed;
      };
      return module;
    };
  }

  // CPython consumes an interrupt by reading the buffer and then writing 0, two separate
  // steps: the watchdog's write landing between them was lost, and the execution ran on
  // to the hard stop (seen under CPU load: 1 timeout in 20). This view of the buffer
  // clears it only if it still holds what was read. Reads alone (Pyodide peeks at it
  // too) consume nothing.
  function interruptBufferWithoutLostWrites(flag) {
    let lastRead = 0;
    return {
      get 0() {
        return (lastRead = Atomics.load(flag, 0));
      },
      set 0(value) {
        if (value === 0) Atomics.compareExchange(flag, 0, lastRead, 0);
        else Atomics.store(flag, 0, value);
      },
    };
  }

  // Loads and imports the preload list; returns the names the package folder lacks.
  async function preloadPackages(pyodide, names) {
    const lock = pyodide.lockfile?.packages ?? {};
    const available = names.filter((name) => lock[name]);
    if (available.length) {
      await pyodide.loadPackage(available, {
        messageCallback: () => {},
        errorCallback: (message) => hooks.write(2, message + "\n"),
      });
    }
    const missing = names.filter((name) => !lock[name]);
    for (const name of available) {
      try {
        for (const module of lock[name].imports ?? []) pyodide.pyimport(module).destroy?.();
      } catch (error) {
        hooks.write(2, `vivarium: preloading ${name} failed: ${error.message}\n`);
        missing.push(name);
      }
    }
    return missing;
  }

  // import name -> package name, for every package of the official distribution, so that
  // a missing one can be named in the ModuleNotFoundError.
  function officialImports(bundleLock) {
    const imports = {};
    for (const [name, entry] of Object.entries(bundleLock.packages ?? {}))
      for (const module of entry.imports ?? []) imports[module] = name;
    return imports;
  }

  // The package folder's lock file as Pyodide should see it: without micropip, whose
  // Pyodide wheel would download from PyPI; vivarium's own offline micropip stands in.
  function packageFolderLock(packagesURL) {
    const lock = JSON.parse(read(packagesURL + "pyodide-lock.json"));
    delete lock.packages?.micropip;
    // A package that names it as a dependency still loads, with vivarium's in its place.
    for (const entry of Object.values(lock.packages ?? {}))
      if (Array.isArray(entry.depends)) entry.depends = entry.depends.filter((name) => name !== "micropip");
    return lock;
  }

  // Standard library modules that programs commonly import, imported before the memory
  // snapshot is made, so that every interpreter restored from it has them: importing
  // json, re, datetime, decimal and statistics took a program 206 ms (from the zip, in
  // wasm) and takes 0. The snapshot stays 30 MB, so a boot costs the same. The warm
  // zygotes imported the same list before their first program (300 ms that the first
  // `run` waited for); now their copy of it finds everything imported.
  const kSnapshotImports = ["calendar", "csv", "datetime", "decimal", "fractions", "json", "pprint", "re",
                            "statistics", "urllib.parse", "uuid"];

  // config: indexURL, home, runnerSource, micropipSource, pep440Source, packagesURL
  // ("" for none), wheelsURL ("" for none), wheelFiles, preload.
  return async function boot(config) {
    const { indexURL, home, packagesURL } = config;
    const { loadPyodide } = await import(indexURL + "pyodide.mjs");
    const bundleLock = JSON.parse(read(indexURL + "pyodide-lock.json"));
    // A memory snapshot of a freshly initialised interpreter skips CPython's start-up
    // (~2 s of wasm). Made on the first boot, reused until the bundle changes.
    const snapshot = hooks.loadSnapshot();
    const options = {
      indexURL,
      env: { HOME: home },
      stdout: (line) => hooks.write(1, line + "\n"),
      stderr: (line) => hooks.write(2, line + "\n"),
      checkAPIVersion: true,
    };
    // Packages come from the package folder's lock file, or from nowhere: never a CDN.
    if (packagesURL) Object.assign(options, { lockFileContents: packageFolderLock(packagesURL), packageBaseUrl: packagesURL });
    else options.lockFileContents = { info: bundleLock.info, packages: {} };
    if (snapshot) {
      options._loadSnapshot = snapshot.header;
      const { default: createModule } = await import(indexURL + "pyodide.asm.mjs");
      options.createPyodideModule = restoringSnapshotInPlace(createModule, snapshot.size);
    } else options._makeSnapshot = true;
    const pyodide = await withCachedWasm(indexURL, () => loadPyodide(options));
    if (!snapshot) {
      // Imported without binding a name: an interpreter must start with an empty namespace.
      pyodide.runPython(
        `for _name in (${kSnapshotImports.map((name) => `'${name}'`).join(", ")},):\n    __import__(_name)\ndel _name`);
      hooks.saveSnapshot(pyodide.makeMemorySnapshot());
    }
    pyodide.FS.mkdirTree(home);
    pyodide.FS.chdir(home);

    pyodide.setStdout({ write: (bytes) => hooks.writeBytes(1, bytes), isatty: false });
    pyodide.setStderr({ write: (bytes) => hooks.writeBytes(2, bytes), isatty: false });
    pyodide.setStdin({ read: (buffer) => hooks.readStdin(buffer), isatty: false });
    pyodide.setInterruptBuffer(interruptBufferWithoutLostWrites(hooks.interruptBuffer));

    const namespace = pyodide.globals.get("dict")();
    namespace.set("_host_sleep", hooks.sleep);
    namespace.set("_official_imports", pyodide.toPy(officialImports(bundleLock)));
    namespace.set("_micropip_source", config.micropipSource);
    namespace.set("_pep440_source", config.pep440Source);
    const micropipSettings = pyodide.toPy({
      _PACKAGE_DIR: packagesURL.replace(/\/$/, ""),
      _WHEEL_DIR: config.wheelsURL.replace(/\/$/, ""),
      _WHEEL_FILES: Array.from(config.wheelFiles),
    });
    namespace.set("_micropip_settings", micropipSettings);
    micropipSettings.destroy();
    // Compiled straight to bytecode: pyodide.runPython would first build and transform a
    // Python AST of the ~300 lines, which took 38 ms per boot against 21 (measured).
    const [compile, exec] = [pyodide.globals.get("compile"), pyodide.globals.get("exec")];
    const runnerCode = compile(config.runnerSource, "<vivarium>", "exec");
    exec(runnerCode, namespace);
    for (const proxy of [runnerCode, compile, exec]) proxy.destroy();
    const runPython = namespace.get("run");
    namespace.destroy();

    const missingPreloads = await preloadPackages(pyodide, Array.from(config.preload));
    const FS = pyodide.FS;
    function writeInputFile(path, bytes) {
      const full = home + "/" + path;
      const slash = full.lastIndexOf("/");
      FS.mkdirTree(full.slice(0, slash));
      FS.writeFile(full, bytes);
    }

    // One execution: copy the input files in, run the code, hand back plain JS values.
    async function loadImportedPackages(code) {
      if (!packagesURL) return;
      try {
        await pyodide.loadPackagesFromImports(code, {
          messageCallback: () => {},
          errorCallback: (message) => hooks.write(2, message + "\n"),
        });
      } catch (error) {
        // The import itself will fail and say why (e.g. a SyntaxError, a bad wheel).
        hooks.write(2, "vivarium: could not load packages: " + error.message + "\n");
      }
    }

    async function execute(code, filename, argv, files, reseed, globalsJson) {
      for (const [path, bytes] of files) writeInputFile(path, bytes);
      await loadImportedPackages(code);
      let proxy = runPython(code, filename, argv, reseed, globalsJson);
      if (proxy && typeof proxy.then === "function") {
        const awaitable = proxy;
        try {
          proxy = await awaitable;
        } finally {
          awaitable.destroy?.();
        }
      }
      try {
        return proxy.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
      } finally {
        proxy.destroy();
      }
    }
    return { execute, missingPreloads };
  };
});
