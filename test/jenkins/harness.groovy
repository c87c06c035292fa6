// Test harness for the Jenkins shared library (Jenkins itself cannot run here).
//   groovy harness.groovy syntax FILE...   parse each file (syntax only)
//   groovy harness.groovy run CASES.json   run vars/*.groovy with recording stubs
//     for the Jenkins steps; prints one JSON line per case:
//     {"calls":[{withEnv:[…]},{withCredentials:[…]},{sshagent:[…]},{sh:"…",gstring:false}], "result":…}
//   A case may set:
//     "exec": true        sh really runs the script (bash, or sh for a #!/bin/sh one) with the
//                         environment withEnv gives it, in "workspace"; its stdout is returned
//     "resources": DIR    where libraryResource reads (the library's resources/ folder)
//     "workspace": DIR    pwd(); pwd(tmp: true) is DIR@tmp; writeFile writes there for real
//   The library's other global variables (vars/NAME.groovy beside the case's file) are
//   bound by name, as Jenkins does, so a step can call deliveryCli.environment().
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.Phases

if (args[0] == 'syntax') {
  args.drop(1).each { f ->
    def cu = new CompilationUnit()
    cu.addSource(new File(f))
    cu.compile(Phases.CONVERSION)
  }
  println 'syntax ok'
  return
}

def cases = new JsonSlurper().parse(new File(args[1]))
cases.each { c ->
  def calls = []
  def envStack = []
  def binding = new Binding()
  def isG = { v -> v instanceof GString }
  def workspace = c.workspace ?: System.getProperty('java.io.tmpdir')
  binding.setVariable('withEnv', { List e, Closure body ->
    calls << [withEnv: e.collect { it.toString() }, gstring: false]
    envStack.push(e.collect { it.toString() })
    try { return body() } finally { envStack.pop() }
  })
  binding.setVariable('withCredentials', { List l, Closure body -> calls << [withCredentials: l]; body() })
  binding.setVariable('sshagent', { Map m, Closure body -> calls << [sshagent: m.credentials]; body() })
  binding.setVariable('usernamePassword', { Map m -> [usernamePassword: m] })
  binding.setVariable('file', { Map m -> [file: m] })
  binding.setVariable('string', { Map m -> [string: m] })
  binding.setVariable('pwd', { Map m = [:] -> m.tmp ? "${workspace}@tmp".toString() : workspace })
  binding.setVariable('libraryResource', { String p ->
    calls << [libraryResource: p]
    if (!c.resources) throw new RuntimeException("libraryResource ${p}: no resources folder in this case")
    def f = new File(c.resources, p)
    if (!f.isFile()) throw new RuntimeException("libraryResource ${p}: not found in ${c.resources}")
    return f.getText('UTF-8')
  })
  binding.setVariable('writeFile', { Map m ->
    calls << [writeFile: m.file.toString()]
    if (c.exec) {
      def f = new File(m.file.toString())
      f.parentFile.mkdirs()
      f.setText(m.text.toString(), 'UTF-8')
    }
  })
  binding.setVariable('sh', { a ->
    def s = a instanceof Map ? a.script : a
    calls << [sh: s.toString(), gstring: isG(s)]
    if (!c.exec) return (c.stdout ?: '') + '\n'
    def shell = s.toString().startsWith('#!/bin/sh') ? 'sh' : 'bash'
    def pb = new ProcessBuilder(shell, '-c', s.toString()).directory(new File(workspace))
    def penv = pb.environment()
    (c.processEnv ?: [:]).each { k, v -> penv.put(k, v.toString()) }
    envStack.each { list -> list.each { kv -> def i = kv.indexOf('='); penv.put(kv.substring(0, i), kv.substring(i + 1)) } }
    pb.redirectError(ProcessBuilder.Redirect.INHERIT)
    def p = pb.start()
    def out = p.inputStream.getText('UTF-8')
    def code = p.waitFor()
    if (code != 0) throw new RuntimeException("script returned exit code ${code}: ${out}")
    return out
  })
  binding.setVariable('error', { String m -> throw new RuntimeException(m) })
  binding.setVariable('env', c.env ?: [:])
  def shell = new GroovyShell(binding)
  def varsDir = new File(c.file).parentFile
  varsDir.listFiles().findAll { it.name.endsWith('.groovy') && it.absolutePath != new File(c.file).absolutePath }.each { f ->
    binding.setVariable(f.name - '.groovy', shell.parse(f))
  }
  def script = shell.parse(new File(c.file))
  def out = [file: c.file]
  try {
    out.result = script.invokeMethod(c.method ?: 'call', (c.words ?: [c.args ?: [:]]) as Object[])?.toString()
  } catch (RuntimeException e) {
    out.error = e.message
  }
  out.calls = calls
  println JsonOutput.toJson(out)
}
