# Two people on one section: every write is written over the revision its writer last saw.
:as alice
/story new title:"Meta scrambles over DeepSeek"
/story write body <<END
Meta has set up four war rooms to study DeepSeek.

The model cost about 5.5 million dollars to train.

Meta did not respond to a request for comment.
END
# bob looks at revision 1; alice then saves revision 2.
:as bob
/story show section:body
:as alice
/story write body <<END
Meta has set up four war rooms of engineers to study DeepSeek V3.

The model cost about 5.5 million dollars to train.

Meta did not respond to a request for comment.
END
# bob writes over revision 1, in another paragraph: merged with alice's revision 2.
:as bob
/story write body <<END
Meta has set up four war rooms to study DeepSeek.

The model cost about 5.5 million dollars to train.

Meta declined to comment.
END
# bob changes the figure over revision 3, the latest; alice, who last saw revision 2, too.
/story write body <<END
Meta has set up four war rooms of engineers to study DeepSeek V3.

The model cost about 6 million dollars to train.

Meta declined to comment.
END
:as alice
/story write body <<END
Meta has set up four war rooms of engineers to study DeepSeek V3.

The model cost about 5.6 million dollars to train, DeepSeek says.

Meta did not respond to a request for comment.
END
:as carol
/story show section:body
# alice takes her kept text back, resolves it and writes it over the latest revision.
:as alice
/story write section:body resume:true
/story write body <<END
Meta has set up four war rooms of engineers to study DeepSeek V3.

The model cost about 6 million dollars to train, DeepSeek says.

Meta declined to comment.
END
